// Every architecture x normalization builds, trains a step, and returns the
// probe points the registry documents, with the documented shapes.
#include <gtest/gtest.h>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/models/registry.hpp"

namespace cp {
namespace {

class ModelGrid : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {};

TEST_P(ModelGrid, ProbesMatchRegistryAndTrainingStepLowersLoss) {
  const auto& [arch, norm] = GetParam();
  torch::manual_seed(0);
  auto model = make_model({arch, norm, {1, 28, 28}, 5});
  auto x = torch::randn({8, 1, 28, 28});
  auto y = torch::arange(8) % 5;

  auto probes = model->forward_probes(x);
  std::vector<std::string> names;
  for (const auto& [name, t] : probes) {
    names.push_back(name);
    EXPECT_EQ(t.size(0), 8) << name;
    EXPECT_TRUE(torch::isfinite(t).all().item<bool>()) << name;
  }
  EXPECT_EQ(names, probe_points(arch));
  EXPECT_EQ(probes.back().second.sizes(), (std::vector<std::int64_t>{8, 5}));
  EXPECT_TRUE(torch::allclose(probes.back().second, model->forward(x)));
  const auto& penult = penultimate_point(arch);
  EXPECT_NE(std::find(names.begin(), names.end(), penult), names.end());

  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.05));
  double first = 0, last = 0;
  for (int step = 0; step < 10; ++step) {
    opt.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    (step == 0 ? first : last) = loss.item<double>();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(last, first) << arch << "/" << norm;
}

INSTANTIATE_TEST_SUITE_P(All, ModelGrid,
                         ::testing::Combine(::testing::ValuesIn(known_architectures()),
                                            ::testing::ValuesIn(known_normalizations())),
                         [](const auto& info) {
                           return std::get<0>(info.param) + "_" + std::get<1>(info.param);
                         });

TEST(Models, ShapesOfProbePoints) {
  auto cnn = make_model({"cnn", "batch", {1, 28, 28}, 5});
  auto probes = cnn->forward_probes(torch::randn({2, 1, 28, 28}));
  EXPECT_EQ(probes[1].second.sizes(), (std::vector<std::int64_t>{2, 32, 14, 14}));  // block1
  EXPECT_EQ(probes[2].second.sizes(), (std::vector<std::int64_t>{2, 64, 7, 7}));    // block2
  EXPECT_EQ(probes[3].second.sizes(), (std::vector<std::int64_t>{2, 128}));         // fc
  auto mlp = make_model({"mlp", "none", {32}, 3});
  auto mp = mlp->forward_probes(torch::randn({2, 32}));
  EXPECT_EQ(mp[1].second.sizes(), (std::vector<std::int64_t>{2, 256}));
  EXPECT_EQ(mp[2].second.sizes(), (std::vector<std::int64_t>{2, 128}));
}

TEST(Models, RejectsUnknownNamesAndUnfitInputs) {
  EXPECT_THROW(make_model({"transformer", "none", {32}, 3}), ConfigError);
  EXPECT_THROW(make_model({"mlp", "weight", {32}, 3}), ConfigError);
  EXPECT_THROW(make_model({"cnn", "none", {32}, 3}), ConfigError);
}

}  // namespace
}  // namespace cp
