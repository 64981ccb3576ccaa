// Vision Transformer (Dosovitskiy et al. 2021) with pre-norm blocks, sized
// for small images. Token-valued probe points are emitted channels-first,
// [N, D, T], so the extraction's spatial reduction (over dims >= 2) treats
// tokens like the positions of a conv feature map.
#include <cmath>

#include "clusterprobe/common/error.hpp"
#include "norm.hpp"

namespace cp::zoo {
namespace {

namespace nn = torch::nn;

// Multi-head self-attention written out (one Linear for q, k, v), so its
// behaviour does not depend on nn::MultiheadAttention's layout conventions.
class SelfAttentionImpl : public nn::Module {
 public:
  SelfAttentionImpl(std::int64_t dim, std::int64_t heads) : heads_(heads) {
    qkv_ = register_module("qkv", nn::Linear(dim, 3 * dim));
    proj_ = register_module("proj", nn::Linear(dim, dim));
  }

  torch::Tensor forward(const torch::Tensor& x) {  // [N, T, D]
    const auto n = x.size(0), t = x.size(1), d = x.size(2);
    // [N, T, 3, H, D/H] -> [3, N, H, T, D/H]
    auto qkv = qkv_->forward(x).reshape({n, t, 3, heads_, d / heads_}).permute({2, 0, 3, 1, 4});
    auto q = qkv[0], k = qkv[1], v = qkv[2];
    auto scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(d / heads_));
    auto out = torch::matmul(torch::softmax(scores, -1), v);  // [N, H, T, D/H]
    return proj_->forward(out.transpose(1, 2).reshape({n, t, d}));
  }

 private:
  std::int64_t heads_;
  nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(SelfAttention);

// x + attn(norm1(x)), then x + mlp(norm2(x)), the MLP 4x wide with GELU.
class EncoderBlockImpl : public nn::Module {
 public:
  EncoderBlockImpl(std::int64_t dim, std::int64_t heads, const std::string& norm) {
    norm1_ = register_norm(*this, "norm1", norm, dim, NormInput::tokens);
    attn_ = register_module("attn", SelfAttention(dim, heads));
    norm2_ = register_norm(*this, "norm2", norm, dim, NormInput::tokens);
    fc1_ = register_module("fc1", nn::Linear(dim, 4 * dim));
    fc2_ = register_module("fc2", nn::Linear(4 * dim, dim));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    auto h = x + attn_->forward(norm1_.forward(x));
    return h + fc2_->forward(torch::gelu(fc1_->forward(norm2_.forward(h))));
  }

 private:
  nn::AnyModule norm1_, norm2_;
  SelfAttention attn_{nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(EncoderBlock);

class VitImpl : public ProbedModelImpl {
 public:
  VitImpl(const ArchName& arch, const ModelSpec& spec) : cls_token_(arch.cls_token) {
    require_image(spec, 1);
    const std::int64_t p = arch.patch, d = arch.embed_dim;
    const auto c = spec.input_shape[0], h = spec.input_shape[1], w = spec.input_shape[2];
    if (h % p != 0 || w % p != 0) {
      throw ConfigError("architecture " + spec.architecture + ": patch size " + std::to_string(p) +
                        " does not divide the " + std::to_string(h) + "x" + std::to_string(w) +
                        " images");
    }
    const std::int64_t tokens = (h / p) * (w / p) + (cls_token_ ? 1 : 0);
    patch_embed_ = register_module("patch_embed", nn::Conv2d(nn::Conv2dOptions(c, d, p).stride(p)));
    // Small random positions and class token, as in the reference ViT.
    pos_ = register_parameter("pos_embed", torch::randn({1, tokens, d}) * 0.02);
    if (cls_token_) cls_ = register_parameter("cls_token", torch::randn({1, 1, d}) * 0.02);
    blocks_ = register_module("blocks", nn::ModuleList());
    for (int i = 0; i < arch.depth; ++i) {
      blocks_->push_back(EncoderBlock(d, arch.heads, spec.normalization));
    }
    final_norm_ = register_norm(*this, "final_norm", spec.normalization, d, NormInput::tokens);
    head_ = register_module("head", nn::Linear(d, spec.num_classes));
  }

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    emit(probes, "input", x);
    auto h = patch_embed_->forward(x).flatten(2).transpose(1, 2);  // [N, T, D]
    if (cls_token_) h = torch::cat({cls_.expand({h.size(0), 1, h.size(2)}), h}, 1);
    h = h + pos_;
    emit(probes, "embed", h.transpose(1, 2));
    for (std::size_t i = 0; i < blocks_->size(); ++i) {
      h = blocks_[i]->as<EncoderBlockImpl>()->forward(h);
      emit(probes, "block" + std::to_string(i + 1), h.transpose(1, 2));
    }
    h = final_norm_.forward(h);
    h = cls_token_ ? h.select(1, 0) : h.mean(1);
    emit(probes, "pool", h);
    return emit(probes, "logits", head_->forward(h));
  }

 private:
  bool cls_token_;
  nn::Conv2d patch_embed_{nullptr};
  torch::Tensor pos_, cls_;
  nn::ModuleList blocks_{nullptr};
  nn::AnyModule final_norm_;
  nn::Linear head_{nullptr};
};

}  // namespace

ProbedModel make_vit(const ArchName& arch, const ModelSpec& spec) {
  return std::make_shared<VitImpl>(arch, spec);
}

}  // namespace cp::zoo
