// ResNets with basic blocks: the CIFAR family resnet<6n+2> (He et al. 2016,
// section 4.2) and ResNet-18 with a 3x3 stem for small images.
#include "norm.hpp"

namespace cp::zoo {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(std::int64_t in, std::int64_t out, std::int64_t kernel, std::int64_t stride,
                const std::string& norm) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .stride(stride)
                        .padding(kernel / 2)
                        .bias(conv_bias(norm)));
}

// conv3x3 -> norm -> ReLU -> conv3x3 -> norm, plus the shortcut, then ReLU.
// The shortcut is a 1x1 convolution + norm when the shape changes (option B
// of the paper), the identity otherwise.
class BasicBlockImpl : public nn::Module {
 public:
  BasicBlockImpl(std::int64_t in, std::int64_t out, std::int64_t stride, const std::string& norm) {
    conv1_ = register_module("conv1", conv(in, out, 3, stride, norm));
    norm1_ = register_norm(*this, "norm1", norm, out, NormInput::image);
    conv2_ = register_module("conv2", conv(out, out, 3, 1, norm));
    norm2_ = register_norm(*this, "norm2", norm, out, NormInput::image);
    if (stride != 1 || in != out) {
      shortcut_ = register_module("shortcut", conv(in, out, 1, stride, norm));
      shortcut_norm_ = register_norm(*this, "shortcut_norm", norm, out, NormInput::image);
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto h = torch::relu(norm1_.forward(conv1_->forward(x)));
    h = norm2_.forward(conv2_->forward(h));
    auto skip = shortcut_ ? shortcut_norm_.forward(shortcut_->forward(x)) : x;
    return torch::relu(h + skip);
  }

 private:
  nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, shortcut_{nullptr};
  nn::AnyModule norm1_, norm2_, shortcut_norm_;
};
TORCH_MODULE(BasicBlock);

// Stem (conv3x3 -> norm -> ReLU), stages of basic blocks (stride 2 at the
// first block of every stage but the first), global average pool, head.
// Blocks are numbered through all stages (block1..blockN), each a probe point.
class ResNetImpl : public ProbedModelImpl {
 public:
  ResNetImpl(const ArchName& arch, const ModelSpec& spec) {
    require_image(spec, 1);
    const bool cifar = arch.family == Family::cifar_resnet;
    const std::int64_t base = cifar ? 16 : 64;  // stage widths base, 2 base, 4 base, ...
    const auto& norm = spec.normalization;
    std::int64_t width = scaled_width(base, arch.width);
    stem_ = register_module("stem", conv(spec.input_shape[0], width, 3, 1, norm));
    stem_norm_ = register_norm(*this, "stem_norm", norm, width, NormInput::image);
    blocks_ = register_module("blocks", nn::ModuleList());
    for (int stage = 0; stage < resnet_stage_count(arch); ++stage) {
      const std::int64_t out = scaled_width(base << stage, arch.width);
      for (int b = 0; b < resnet_blocks_per_stage(arch); ++b) {
        const std::int64_t stride = (stage > 0 && b == 0) ? 2 : 1;
        blocks_->push_back(BasicBlock(width, out, stride, norm));
        width = out;
      }
    }
    head_ = register_module("head", nn::Linear(width, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    emit(probes, "input", x);
    auto h = emit(probes, "stem", torch::relu(stem_norm_.forward(stem_->forward(x))));
    for (std::size_t i = 0; i < blocks_->size(); ++i) {
      h = blocks_[i]->as<BasicBlockImpl>()->forward(h);
      emit(probes, "block" + std::to_string(i + 1), h);
    }
    h = emit(probes, "pool", h.mean({2, 3}));
    return emit(probes, "logits", head_->forward(h));
  }

 private:
  nn::Conv2d stem_{nullptr};
  nn::AnyModule stem_norm_;
  nn::ModuleList blocks_{nullptr};
  nn::Linear head_{nullptr};
};

}  // namespace

ProbedModel make_resnet(const ArchName& arch, const ModelSpec& spec) {
  return std::make_shared<ResNetImpl>(arch, spec);
}

}  // namespace cp::zoo
