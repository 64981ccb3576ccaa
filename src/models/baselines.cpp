// The small baselines of the first studies: an MLP and a two-block CNN.
#include "norm.hpp"

namespace cp::zoo {
namespace {

namespace nn = torch::nn;

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t p = 1;
  for (auto d : shape) p *= d;
  return p;
}

// Two hidden layers; each is Linear -> norm -> ReLU and is a probe point.
class MlpImpl : public ProbedModelImpl {
 public:
  explicit MlpImpl(const ModelSpec& spec) {
    const auto& kind = spec.normalization;
    fc1_ = register_module("fc1", nn::Linear(product(spec.input_shape), 256));
    norm1_ = register_norm(*this, "norm1", kind, 256, NormInput::vector);
    fc2_ = register_module("fc2", nn::Linear(256, 128));
    norm2_ = register_norm(*this, "norm2", kind, 128, NormInput::vector);
    head_ = register_module("head", nn::Linear(128, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    auto h = emit(probes, "input", x.flatten(1));
    h = emit(probes, "fc1", torch::relu(norm1_.forward(fc1_->forward(h))));
    h = emit(probes, "fc2", torch::relu(norm2_.forward(fc2_->forward(h))));
    return emit(probes, "logits", head_->forward(h));
  }

 private:
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, head_{nullptr};
  nn::AnyModule norm1_, norm2_;
};

// Two conv blocks (conv3x3 -> norm -> ReLU -> maxpool2), then a hidden Linear
// layer (the penultimate features) and the classifier.
class CnnImpl : public ProbedModelImpl {
 public:
  explicit CnnImpl(const ModelSpec& spec) {
    require_image(spec, 4);
    const auto c = spec.input_shape[0], h = spec.input_shape[1], w = spec.input_shape[2];
    const auto& kind = spec.normalization;
    conv1_ = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(c, 32, 3).padding(1)));
    norm1_ = register_norm(*this, "norm1", kind, 32, NormInput::image);
    conv2_ = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3).padding(1)));
    norm2_ = register_norm(*this, "norm2", kind, 64, NormInput::image);
    fc_ = register_module("fc", nn::Linear(64 * (h / 4) * (w / 4), 128));
    norm3_ = register_norm(*this, "norm3", kind, 128, NormInput::vector);
    head_ = register_module("head", nn::Linear(128, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    emit(probes, "input", x);
    // Pooled, then rectified: ReLU is monotone, so max-pooling commutes with
    // it (values and gradients alike, ties included: a window whose maximum
    // is not positive passes no gradient either way), and it runs on a
    // quarter of the elements.
    auto h = torch::relu(torch::max_pool2d(norm1_.forward(conv1_->forward(x)), 2));
    emit(probes, "block1", h);
    h = torch::relu(torch::max_pool2d(norm2_.forward(conv2_->forward(h)), 2));
    emit(probes, "block2", h);
    h = emit(probes, "fc", torch::relu(norm3_.forward(fc_->forward(h.flatten(1)))));
    return emit(probes, "logits", head_->forward(h));
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  nn::Linear fc_{nullptr}, head_{nullptr};
  nn::AnyModule norm1_, norm2_, norm3_;
};

}  // namespace

ProbedModel make_mlp(const ModelSpec& spec) { return std::make_shared<MlpImpl>(spec); }
ProbedModel make_cnn(const ModelSpec& spec) { return std::make_shared<CnnImpl>(spec); }

}  // namespace cp::zoo
