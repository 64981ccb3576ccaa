// Every architecture family x every normalization it takes builds, trains a
// step, and returns exactly the probe points the registry documents, with the
// documented shapes; the name grammar accepts and rejects what registry.hpp says.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/models/registry.hpp"

namespace cp {
namespace {

using Shape = std::vector<std::int64_t>;

// One sample per family, at small widths so the whole grid runs in seconds.
const std::vector<std::string>& sample_architectures() {
  static const std::vector<std::string> names{
      "mlp",           "cnn",           "resnet8",           "resnet20-w0.5",
      "resnet32-w0.25", "resnet18-w0.125", "vgg11-w0.125",   "vgg16-w0.125",
      "vit-p4-d2-w32-h2", "vit-p7-d1-w16-h2-mean"};
  return names;
}

std::vector<std::tuple<std::string, std::string>> grid() {
  std::vector<std::tuple<std::string, std::string>> cases;
  for (const auto& arch : sample_architectures()) {
    for (const auto& norm : normalizations_for(arch)) cases.emplace_back(arch, norm);
  }
  return cases;
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

bool is_token_point(const std::string& arch, const std::string& name) {
  return starts_with(arch, "vit") && (name == "embed" || starts_with(name, "block"));
}

bool is_map_point(const std::string& arch, const std::string& name) {
  if (starts_with(arch, "vit") || arch == "mlp") return false;
  return name == "stem" || starts_with(name, "block") || starts_with(name, "stage");
}

std::vector<std::string> names_of(const ProbeList& probes) {
  std::vector<std::string> names;
  for (const auto& p : probes) names.push_back(p.first);
  return names;
}

const torch::Tensor& probe(const ProbeList& probes, const std::string& name) {
  for (const auto& p : probes) {
    if (p.first == name) return p.second;
  }
  throw std::out_of_range("no probe point " + name);
}

class ModelGrid : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ModelGrid, BuildsTrainsAStepAndProbesAsRegistered) {
  const auto& [arch, norm] = GetParam();
  const std::int64_t n = 4, classes = 5;
  torch::manual_seed(0);
  auto model = make_model({arch, norm, {1, 28, 28}, classes});

  // The trainer re-initialises and fine-tunes "head.*": every model has one.
  bool has_head = false;
  for (const auto& child : model->named_children()) has_head |= child.key() == "head";
  EXPECT_TRUE(has_head);
  EXPECT_TRUE(model->named_parameters().contains("head.weight"));

  auto x = torch::randn({n, 1, 28, 28});
  auto y = torch::arange(n) % classes;
  auto probes = model->forward_probes(x);
  ASSERT_EQ(names_of(probes), probe_points(arch));

  const std::string penult = penultimate_point(arch);
  const std::int64_t features = probe(probes, penult).size(1);
  for (const auto& [name, t] : probes) {
    EXPECT_EQ(t.size(0), n) << name;
    EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
    if (is_map_point(arch, name)) {
      EXPECT_EQ(t.dim(), 4) << name;
    }
    if (is_token_point(arch, name)) {
      ASSERT_EQ(t.dim(), 3) << name;
      EXPECT_EQ(t.size(1), features) << name << ": tokens must be [N, D, T]";
    }
  }
  EXPECT_EQ(probe(probes, penult).dim(), 2);
  EXPECT_EQ(probes.back().second.sizes(), (Shape{n, classes}));
  EXPECT_TRUE(torch::allclose(probes.back().second, model->forward(x)));

  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05));
  opt.zero_grad();
  auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  loss.backward();
  opt.step();
  bool changed = false;
  const auto after = model->parameters();
  for (std::size_t i = 0; i < after.size(); ++i) changed |= !torch::equal(before[i], after[i]);
  EXPECT_TRUE(changed);

  // Extraction runs in eval mode, possibly one sample at a time.
  model->eval();
  auto single = model->forward_probes(x.slice(0, 0, 1));
  EXPECT_EQ(single.back().second.sizes(), (Shape{1, classes}));
}

INSTANTIATE_TEST_SUITE_P(All, ModelGrid, ::testing::ValuesIn(grid()), [](const auto& info) {
  std::string s = std::get<0>(info.param) + "_" + std::get<1>(info.param);
  for (char& c : s) {
    if (c == '-' || c == '.') c = '_';
  }
  return s;
});

TEST(Models, ShapesOfProbePoints) {
  torch::manual_seed(0);
  auto shapes = [](const std::string& arch, const Shape& input) {
    auto model = make_model({arch, "batch", input, 3});
    Shape batch{2};
    batch.insert(batch.end(), input.begin(), input.end());
    std::map<std::string, Shape> out;
    for (const auto& [name, t] : model->forward_probes(torch::randn(batch))) {
      out[name] = t.sizes().vec();
    }
    return out;
  };
  auto cnn = shapes("cnn", {1, 28, 28});
  EXPECT_EQ(cnn["block1"], (Shape{2, 32, 14, 14}));
  EXPECT_EQ(cnn["block2"], (Shape{2, 64, 7, 7}));
  EXPECT_EQ(cnn["fc"], (Shape{2, 128}));
  auto mlp = shapes("mlp", {32});
  EXPECT_EQ(mlp["fc1"], (Shape{2, 256}));
  EXPECT_EQ(mlp["fc2"], (Shape{2, 128}));

  auto r20 = shapes("resnet20-w0.5", {3, 32, 32});  // widths 8, 16, 32
  EXPECT_EQ(r20["stem"], (Shape{2, 8, 32, 32}));
  EXPECT_EQ(r20["block3"], (Shape{2, 8, 32, 32}));
  EXPECT_EQ(r20["block4"], (Shape{2, 16, 16, 16}));
  EXPECT_EQ(r20["block9"], (Shape{2, 32, 8, 8}));
  EXPECT_EQ(r20["pool"], (Shape{2, 32}));
  auto r18 = shapes("resnet18-w0.125", {1, 28, 28});  // widths 8, 16, 32, 64
  EXPECT_EQ(r18["stem"], (Shape{2, 8, 28, 28}));
  EXPECT_EQ(r18["block8"], (Shape{2, 64, 4, 4}));
  EXPECT_EQ(r18["pool"], (Shape{2, 64}));

  // 28x28 runs out of resolution after 4 pools (14, 7, 3, 1); 32x32 takes 5.
  auto vgg28 = shapes("vgg11-w0.125", {1, 28, 28});
  EXPECT_EQ(vgg28["stage1"], (Shape{2, 8, 14, 14}));
  EXPECT_EQ(vgg28["stage4"], (Shape{2, 64, 1, 1}));
  EXPECT_EQ(vgg28["stage5"], (Shape{2, 64, 1, 1}));
  EXPECT_EQ(vgg28["fc2"], (Shape{2, 64}));
  auto vgg32 = shapes("vgg11-w0.125", {3, 32, 32});
  EXPECT_EQ(vgg32["stage4"], (Shape{2, 64, 2, 2}));
  EXPECT_EQ(vgg32["stage5"], (Shape{2, 64, 1, 1}));

  auto vit = shapes("vit-p4-d2-w32-h2", {3, 32, 32});  // 64 patches + class token
  EXPECT_EQ(vit["embed"], (Shape{2, 32, 65}));
  EXPECT_EQ(vit["block2"], (Shape{2, 32, 65}));
  EXPECT_EQ(vit["pool"], (Shape{2, 32}));
  auto vit_mean = shapes("vit-p7-d1-w16-h2-mean", {1, 28, 28});  // 16 patches
  EXPECT_EQ(vit_mean["embed"], (Shape{2, 16, 16}));
  EXPECT_EQ(vit_mean["pool"], (Shape{2, 16}));
}

TEST(Models, ColourImagesTrainToo) {
  for (const std::string arch : {"cnn", "resnet20-w0.5", "vgg16-w0.125", "vit-p4-d2-w32-h2"}) {
    torch::manual_seed(0);
    auto model = make_model({arch, "layer", {3, 32, 32}, 10});
    auto x = torch::randn({4, 3, 32, 32});
    auto probes = model->forward_probes(x);
    EXPECT_EQ(names_of(probes), probe_points(arch)) << arch;
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), torch::arange(4));
    loss.backward();
    EXPECT_TRUE(std::isfinite(loss.item<double>())) << arch;
  }
}

template <typename Norm>
Norm find_module(const ProbedModel& model, const std::string& name) {
  auto m = model->named_modules()[name];
  auto typed = std::dynamic_pointer_cast<typename Norm::Impl>(m);
  if (!typed) throw std::runtime_error(name + " has another type");
  return Norm(typed);
}

TEST(Models, NormalizationMeanings) {
  // For feature maps "layer" is GroupNorm with one group (over C, H, W).
  auto layer = make_model({"resnet8", "layer", {1, 28, 28}, 2});
  EXPECT_EQ(find_module<torch::nn::GroupNorm>(layer, "stem_norm.0")->options.num_groups(), 1);
  auto group = make_model({"resnet8", "group", {1, 28, 28}, 2});  // 16 channels
  EXPECT_EQ(find_module<torch::nn::GroupNorm>(group, "stem_norm.0")->options.num_groups(), 8);
  auto vec = make_model({"mlp", "layer", {32}, 2});
  EXPECT_NO_THROW(find_module<torch::nn::LayerNorm>(vec, "norm1.0"));
  auto vit = make_model({"vit-p7-d1-w16-h2", "layer", {1, 28, 28}, 2});
  EXPECT_NO_THROW(find_module<torch::nn::LayerNorm>(vit, "final_norm.0"));
}

TEST(Models, RejectsUnknownNamesUnsupportedNormsAndUnfitInputs) {
  const Shape image{1, 28, 28};
  EXPECT_THROW(make_model({"transformer", "none", image, 3}), ConfigError);
  EXPECT_THROW(make_model({"resnet21", "none", image, 3}), ConfigError);
  EXPECT_THROW(make_model({"mlp", "weight", {32}, 3}), ConfigError);
  EXPECT_THROW(make_model({"resnet8", "instance", image, 3}), ConfigError);
  EXPECT_THROW(make_model({"vit-p4-d1-w16-h2", "group", image, 3}), ConfigError);
  for (const std::string arch : {"cnn", "resnet8", "resnet18-w0.125", "vgg11-w0.125", "vit"}) {
    EXPECT_THROW(make_model({arch, "none", {32}, 3}), ConfigError) << arch;
  }
  EXPECT_THROW(make_model({"vit-p5-d1-w16-h2", "layer", image, 3}), ConfigError);
  EXPECT_THROW(make_model({"vit-p4-d1-w16-h2", "layer", {3, 32, 30}, 3}), ConfigError);
  EXPECT_THROW(make_model({"cnn", "none", {1, 2, 2}, 3}), ConfigError);
  EXPECT_THROW(make_model({"mlp", "none", {32}, 0}), ConfigError);
  try {
    make_model({"torchscript", "none", image, 3});
    ADD_FAILURE() << "torchscript built without a file";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("torchscript:<path>"), std::string::npos) << e.what();
  }
}

TEST(Registry, Grammar) {
  EXPECT_EQ(probe_points("resnet8"), (std::vector<std::string>{"input", "stem", "block1", "block2",
                                                               "block3", "pool", "logits"}));
  EXPECT_EQ(penultimate_point("resnet8"), "pool");
  EXPECT_EQ(probe_points("resnet20").size(), 13u);  // input, stem, block1..9, pool, logits
  EXPECT_EQ(probe_points("resnet20")[10], "block9");
  EXPECT_EQ(probe_points("resnet18-w2")[9], "block8");
  EXPECT_EQ(probe_points("vgg16"),
            (std::vector<std::string>{"input", "stage1", "stage2", "stage3", "stage4", "stage5",
                                      "fc1", "fc2", "logits"}));
  EXPECT_EQ(penultimate_point("vgg19-w0.5"), "fc2");
  EXPECT_EQ(probe_points("vit-d3"), (std::vector<std::string>{"input", "embed", "block1", "block2",
                                                              "block3", "pool", "logits"}));
  EXPECT_EQ(probe_points("vit").size(), 10u);  // default depth 6
  EXPECT_EQ(penultimate_point("vit-p2-mean"), "pool");
  EXPECT_EQ(penultimate_point("mlp"), "fc2");
  EXPECT_EQ(penultimate_point("cnn"), "fc");

  for (const std::string good :
       {"mlp", "cnn", "resnet8", "resnet14", "resnet56-w4", "resnet18", "resnet18-w0.25",
        "vgg11", "vgg13-w2", "vgg19-w0.5", "vit", "vit-cls", "vit-p4-d6-w128-h4-cls",
        "vit-p2-w64-mean", "vit-h8", "torchscript"}) {
    EXPECT_TRUE(is_known_architecture(good)) << good;
    EXPECT_NO_THROW(check_architecture(good)) << good;
  }
  for (const std::string bad :
       {"", "resnet", "resnet21", "resnet2", "resnet08", "resnet8-w0", "resnet8-w-1",
        "resnet8-w", "resnet8-x2", "resnet8-w1-w2", "resnet8-w1e2", "vgg12", "vgg", "vgg11-d3",
        "mlp-w2", "cnn-", "vit-", "vit-d0", "vit-d2-p4", "vit-w30-h4", "vit-mean-d2",
        "vit-cls-mean", "vit-q3", "ViT", "torchscript-x"}) {
    EXPECT_FALSE(is_known_architecture(bad)) << bad;
    EXPECT_THROW(check_architecture(bad), ConfigError) << bad;
    EXPECT_THROW(probe_points(bad), ConfigError) << bad;
  }
  try {
    check_architecture("resnet21");
    ADD_FAILURE();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("unknown architecture 'resnet21'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected one of mlp, cnn, resnet<6n+2>[-w<k>]"), std::string::npos) << msg;
  }
}

TEST(Registry, NormalizationsAndTorchscript) {
  EXPECT_EQ(normalizations_for("vit-d2"), (std::vector<std::string>{"layer", "batch", "none"}));
  EXPECT_EQ(normalizations_for("resnet8"), known_normalizations());
  EXPECT_EQ(normalizations_for("torchscript"), known_normalizations());
  EXPECT_THROW(normalizations_for("resnet9"), ConfigError);
  EXPECT_TRUE(is_scripted_architecture("torchscript"));
  EXPECT_FALSE(is_scripted_architecture("mlp"));
  EXPECT_EQ(probe_points("torchscript"), (std::vector<std::string>{"input", "output", "logits"}));
  EXPECT_EQ(penultimate_point("torchscript"), "output");
  EXPECT_EQ(architecture_families().size(), 7u);
}

}  // namespace
}  // namespace cp
