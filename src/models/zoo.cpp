#include <cmath>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/models/registry.hpp"

namespace cp {
namespace {

namespace nn = torch::nn;

// Groups for GroupNorm: 8 when the width allows it, so "group" differs from
// both "layer" (1 group) and instance normalisation (one group per channel).
std::int64_t group_count(std::int64_t channels) {
  for (std::int64_t g : {8, 4, 2}) {
    if (channels % g == 0 && channels / g >= 2) return g;
  }
  return 1;
}

// The normalization axis of the study. For convolutions, "layer" normalises
// over (C, H, W) of each sample, i.e. GroupNorm with a single group, the usual
// reading of LayerNorm for conv nets; for vectors it is nn::LayerNorm.
nn::Sequential make_norm(const std::string& kind, std::int64_t channels, bool spatial) {
  nn::Sequential s;
  if (kind == "batch") {
    if (spatial) s->push_back(nn::BatchNorm2d(channels));
    else s->push_back(nn::BatchNorm1d(channels));
  } else if (kind == "layer") {
    if (spatial) s->push_back(nn::GroupNorm(nn::GroupNormOptions(1, channels)));
    else s->push_back(nn::LayerNorm(nn::LayerNormOptions({channels})));
  } else if (kind == "group") {
    s->push_back(nn::GroupNorm(nn::GroupNormOptions(group_count(channels), channels)));
  } else if (kind == "none") {
    s->push_back(nn::Identity());
  } else {
    throw ConfigError("unknown normalization '" + kind + "'");
  }
  return s;
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t p = 1;
  for (auto d : shape) p *= d;
  return p;
}

// Two hidden layers; each is Linear -> norm -> ReLU and is a probe point.
class MlpImpl : public ProbedModelImpl {
 public:
  MlpImpl(const ModelSpec& spec) {
    const std::int64_t in = product(spec.input_shape);
    fc1_ = register_module("fc1", nn::Linear(in, 256));
    norm1_ = register_module("norm1", make_norm(spec.normalization, 256, false));
    fc2_ = register_module("fc2", nn::Linear(256, 128));
    norm2_ = register_module("norm2", make_norm(spec.normalization, 128, false));
    out_ = register_module("out", nn::Linear(128, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    auto h = x.flatten(1);
    if (probes) probes->emplace_back("input", h);
    h = torch::relu(norm1_->forward(fc1_->forward(h)));
    if (probes) probes->emplace_back("fc1", h);
    h = torch::relu(norm2_->forward(fc2_->forward(h)));
    if (probes) probes->emplace_back("fc2", h);
    auto logits = out_->forward(h);
    if (probes) probes->emplace_back("logits", logits);
    return logits;
  }

 private:
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, out_{nullptr};
  nn::Sequential norm1_{nullptr}, norm2_{nullptr};
};

// Two conv blocks (conv3x3 -> norm -> ReLU -> maxpool2), then a hidden Linear
// layer (the penultimate features) and the classifier.
class CnnImpl : public ProbedModelImpl {
 public:
  CnnImpl(const ModelSpec& spec) {
    if (spec.input_shape.size() != 3) {
      throw ConfigError("architecture cnn needs image inputs [C, H, W]; this dataset gives " +
                        std::to_string(spec.input_shape.size()) + "-d samples");
    }
    const auto c = spec.input_shape[0], h = spec.input_shape[1], w = spec.input_shape[2];
    if (h < 4 || w < 4) throw ConfigError("architecture cnn needs images of at least 4x4");
    const auto& norm = spec.normalization;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, 32, 3).padding(1)));
    norm1_ = register_module("norm1", make_norm(norm, 32, true));
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)));
    norm2_ = register_module("norm2", make_norm(norm, 64, true));
    const std::int64_t flat = 64 * (h / 4) * (w / 4);
    fc_ = register_module("fc", nn::Linear(flat, 128));
    norm3_ = register_module("norm3", make_norm(norm, 128, false));
    out_ = register_module("out", nn::Linear(128, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    if (probes) probes->emplace_back("input", x);
    auto h = torch::max_pool2d(torch::relu(norm1_->forward(conv1_->forward(x))), 2);
    if (probes) probes->emplace_back("block1", h);
    h = torch::max_pool2d(torch::relu(norm2_->forward(conv2_->forward(h))), 2);
    if (probes) probes->emplace_back("block2", h);
    h = torch::relu(norm3_->forward(fc_->forward(h.flatten(1))));
    if (probes) probes->emplace_back("fc", h);
    auto logits = out_->forward(h);
    if (probes) probes->emplace_back("logits", logits);
    return logits;
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::Linear fc_{nullptr}, out_{nullptr};
  nn::Sequential norm1_{nullptr}, norm2_{nullptr}, norm3_{nullptr};
};

}  // namespace

ProbedModel make_model(const ModelSpec& spec) {
  probe_points(spec.architecture);  // throws ConfigError for an unknown name
  if (spec.num_classes < 1) throw ConfigError("a model needs at least one class");
  if (spec.architecture == "mlp") return std::make_shared<MlpImpl>(spec);
  if (spec.architecture == "cnn") return std::make_shared<CnnImpl>(spec);
  throw InternalError("architecture '" + spec.architecture + "' is registered but not built");
}

}  // namespace cp
