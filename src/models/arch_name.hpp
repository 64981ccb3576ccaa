#pragma once
// Private to src/models: the architecture-name grammar of registry.hpp parsed
// into numbers, so the registry (no LibTorch) and the builders read one parse.
#include <cstdint>
#include <string>

namespace cp::zoo {

enum class Family { mlp, cnn, cifar_resnet, resnet18, vgg, vit, torchscript };

struct ArchName {
  Family family = Family::mlp;
  int depth = 0;        ///< resnet: 6n+2 or 18; vgg: 11/13/16/19; vit: transformer blocks
  double width = 1.0;   ///< resnet/vgg channel factor k (-w<k>)
  // ViT only (-p, -w, -h, -cls|-mean); depth is -d.
  int patch = 4;
  int embed_dim = 128;
  int heads = 4;
  bool cls_token = true;  ///< false: pool = mean of the patch tokens
};

/// Parses `name`; on failure returns false and says why in `why` (a short
/// reason, e.g. "resnet depth must be 6n+2"; empty when the family is unknown).
bool parse_arch_name(const std::string& name, ArchName* out, std::string* why);

/// Parses `name` or throws ConfigError (the message of check_architecture).
ArchName parse_arch_name_or_throw(const std::string& name);

/// Channels of a layer whose base width is `base`, scaled by the factor `k`:
/// max(1, round(base * k)), so fractional factors still give a valid layer.
std::int64_t scaled_width(std::int64_t base, double k);

/// Residual blocks in each stage of a ResNet ([n, n, n] or [2, 2, 2, 2]).
int resnet_blocks_per_stage(const ArchName& a);
int resnet_stage_count(const ArchName& a);

}  // namespace cp::zoo
