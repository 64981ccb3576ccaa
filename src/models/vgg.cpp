// VGG (Simonyan & Zisserman 2015, configurations A, B, D, E) with a
// normalization after every convolution, global average pooling and two
// hidden fully connected layers.
#include <array>

#include "norm.hpp"

namespace cp::zoo {
namespace {

namespace nn = torch::nn;

// Convolutions in each of the 5 stages, by depth (11: A, 13: B, 16: D, 19: E).
std::array<int, 5> convs_per_stage(int depth) {
  switch (depth) {
    case 11: return {1, 1, 2, 2, 2};
    case 13: return {2, 2, 2, 2, 2};
    case 16: return {2, 2, 3, 3, 3};
    default: return {2, 2, 4, 4, 4};  // 19; the name was validated
  }
}

constexpr std::array<std::int64_t, 5> kStageWidths{64, 128, 256, 512, 512};

class VggImpl : public ProbedModelImpl {
 public:
  VggImpl(const ArchName& arch, const ModelSpec& spec) {
    require_image(spec, 1);
    const auto& norm = spec.normalization;
    const auto convs = convs_per_stage(arch.depth);
    std::int64_t in = spec.input_shape[0];
    for (int s = 0; s < 5; ++s) {
      const std::int64_t out = scaled_width(kStageWidths[s], arch.width);
      nn::Sequential stage;
      for (int c = 0; c < convs[s]; ++c) {
        stage->push_back(
            nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(conv_bias(norm))));
        stage->push_back(make_norm(norm, out, NormInput::image));
        stage->push_back(nn::ReLU());
        in = out;
      }
      stages_[s] = register_module("stage" + std::to_string(s + 1), stage);
    }
    const std::int64_t hidden = scaled_width(512, arch.width);
    fc1_ = register_module("fc1", nn::Linear(in, hidden));
    norm1_ = register_norm(*this, "fc1_norm", norm, hidden, NormInput::vector);
    fc2_ = register_module("fc2", nn::Linear(hidden, hidden));
    norm2_ = register_norm(*this, "fc2_norm", norm, hidden, NormInput::vector);
    head_ = register_module("head", nn::Linear(hidden, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    emit(probes, "input", x);
    auto h = x;
    for (int s = 0; s < 5; ++s) {
      h = stages_[s]->forward(h);
      // Small inputs run out of resolution before the fifth pool (28x28 gives
      // 14, 7, 3, 1): the pool is skipped then, so every input size has the
      // same stages and probe names.
      if (h.size(2) >= 2 && h.size(3) >= 2) h = torch::max_pool2d(h, 2);
      emit(probes, "stage" + std::to_string(s + 1), h);
    }
    h = h.mean({2, 3});
    h = emit(probes, "fc1", torch::relu(norm1_.forward(fc1_->forward(h))));
    h = emit(probes, "fc2", torch::relu(norm2_.forward(fc2_->forward(h))));
    return emit(probes, "logits", head_->forward(h));
  }

 private:
  std::array<nn::Sequential, 5> stages_{nullptr, nullptr, nullptr, nullptr, nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr}, head_{nullptr};
  nn::AnyModule norm1_, norm2_;
};

}  // namespace

ProbedModel make_vgg(const ArchName& arch, const ModelSpec& spec) {
  return std::make_shared<VggImpl>(arch, spec);
}

}  // namespace cp::zoo
