#include "norm.hpp"

#include "clusterprobe/common/error.hpp"

namespace cp::zoo {
namespace {

namespace nn = torch::nn;

// BatchNorm over the embedding dimension of every token: statistics are taken
// over the batch and the sequence, the usual "BatchNorm in transformers".
class TokenBatchNormImpl : public nn::Module {
 public:
  explicit TokenBatchNormImpl(std::int64_t dim)
      : bn_(register_module("bn", nn::BatchNorm1d(dim))) {}
  torch::Tensor forward(const torch::Tensor& x) {  // [N, T, D]
    return bn_->forward(x.transpose(1, 2)).transpose(1, 2);
  }

 private:
  nn::BatchNorm1d bn_;
};
TORCH_MODULE(TokenBatchNorm);

}  // namespace

std::int64_t group_count(std::int64_t channels) {
  for (std::int64_t g : {8, 4, 2}) {
    if (channels % g == 0 && channels / g >= 2) return g;
  }
  return 1;
}

nn::AnyModule make_norm(const std::string& kind, std::int64_t channels, NormInput input) {
  if (kind == "none") return nn::AnyModule(nn::Identity());
  if (input == NormInput::tokens) {
    if (kind == "layer") return nn::AnyModule(nn::LayerNorm(nn::LayerNormOptions({channels})));
    if (kind == "batch") return nn::AnyModule(TokenBatchNorm(channels));
  } else if (kind == "batch") {
    if (input == NormInput::image) return nn::AnyModule(nn::BatchNorm2d(channels));
    return nn::AnyModule(nn::BatchNorm1d(channels));
  } else if (kind == "layer") {
    // For feature maps "layer" normalizes over (C, H, W) of each sample, i.e.
    // GroupNorm with a single group: the usual reading of LayerNorm for conv
    // nets (documented in docs/architectures.md).
    if (input == NormInput::image) return nn::AnyModule(nn::GroupNorm(nn::GroupNormOptions(1, channels)));
    return nn::AnyModule(nn::LayerNorm(nn::LayerNormOptions({channels})));
  } else if (kind == "group") {
    return nn::AnyModule(nn::GroupNorm(nn::GroupNormOptions(group_count(channels), channels)));
  }
  throw ConfigError("normalization '" + kind + "' is not available here: expected " +
                    (input == NormInput::tokens ? "layer, batch or none"
                                                : "batch, layer, group or none"));
}

namespace {
// AnyModule needs a non-template forward; Sequential's is a template.
struct NormHolder : nn::SequentialImpl {
  torch::Tensor forward(torch::Tensor x) { return nn::SequentialImpl::forward(std::move(x)); }
};
}  // namespace

nn::AnyModule register_norm(nn::Module& owner, const std::string& name, const std::string& kind,
                            std::int64_t channels, NormInput input) {
  // Inside a one-element Sequential, so convert_sync_batchnorm can swap the
  // layer in place (a module held by value elsewhere cannot be replaced).
  auto holder = std::make_shared<NormHolder>();
  holder->push_back(make_norm(kind, channels, input));
  owner.register_module(name, holder);
  return nn::AnyModule(holder);
}

void require_image(const ModelSpec& spec, std::int64_t min_side) {
  const auto& s = spec.input_shape;
  if (s.size() != 3) {
    throw ConfigError("architecture " + spec.architecture +
                      " needs image inputs [C, H, W]; this dataset gives " +
                      std::to_string(s.size()) + "-d samples");
  }
  if (s[0] < 1 || s[1] < min_side || s[2] < min_side) {
    throw ConfigError("architecture " + spec.architecture + " needs images of at least " +
                      std::to_string(min_side) + "x" + std::to_string(min_side) + ", got " +
                      std::to_string(s[0]) + "x" + std::to_string(s[1]) + "x" +
                      std::to_string(s[2]));
  }
}

}  // namespace cp::zoo
