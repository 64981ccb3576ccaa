#pragma once
// Private to src/models: the normalization axis of the study, and the few
// helpers every builder shares (probe emission, input checks, the head).
#include <cstdint>
#include <string>

#include "arch_name.hpp"
#include "clusterprobe/models/model.hpp"

namespace cp::zoo {

/// What a normalization layer sees, which decides what "layer"/"batch" mean.
enum class NormInput {
  vector,  ///< [N, C]
  image,   ///< [N, C, H, W]
  tokens,  ///< [N, T, D] (ViT); only layer | batch | none
};

/// A normalization layer of `kind` (batch | layer | group | none) for
/// `channels` features. For images "layer" is GroupNorm with one group (over
/// C, H, W of each sample) and "group" GroupNorm with group_count(channels)
/// groups; for tokens "batch" is BatchNorm1d over D of every token.
/// Throws ConfigError for a kind the input does not take.
torch::nn::AnyModule make_norm(const std::string& kind, std::int64_t channels, NormInput input);

/// Groups of the "group" normalization: 8 when the width allows it, so
/// "group" differs from both "layer" (1 group) and instance normalization.
std::int64_t group_count(std::int64_t channels);

/// Registers the norm under `name` in `owner` (parameters "<name>.weight",
/// without a wrapper level) and returns it for forward calls.
torch::nn::AnyModule register_norm(torch::nn::Module& owner, const std::string& name,
                                   const std::string& kind, std::int64_t channels,
                                   NormInput input);

/// Convolutions followed by a normalization need no bias (the norm removes
/// it); with "none" the bias is kept so the layer can still shift.
inline bool conv_bias(const std::string& kind) { return kind == "none"; }

/// Appends (name, t) when probes are requested; returns t for chaining.
inline const torch::Tensor& emit(ProbeList* probes, const char* name, const torch::Tensor& t) {
  if (probes) probes->emplace_back(name, t);
  return t;
}
inline const torch::Tensor& emit(ProbeList* probes, const std::string& name,
                                 const torch::Tensor& t) {
  if (probes) probes->emplace_back(name, t);
  return t;
}

/// Throws ConfigError unless the samples are images [C, H, W] of at least
/// min_side x min_side.
void require_image(const ModelSpec& spec, std::int64_t min_side);

// One builder per family (baselines.cpp, resnet.cpp, vgg.cpp, vit.cpp); the
// spec's architecture and normalization are already validated.
ProbedModel make_mlp(const ModelSpec& spec);
ProbedModel make_cnn(const ModelSpec& spec);
ProbedModel make_resnet(const ArchName& arch, const ModelSpec& spec);
ProbedModel make_vgg(const ArchName& arch, const ModelSpec& spec);
ProbedModel make_vit(const ArchName& arch, const ModelSpec& spec);

}  // namespace cp::zoo
