// make_model: validates the spec against the registry, then hands it to the
// builder of its family (baselines.cpp, resnet.cpp, vgg.cpp, vit.cpp).
#include <algorithm>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/models/registry.hpp"
#include "norm.hpp"

namespace cp {

ProbedModel make_model(const ModelSpec& spec) {
  const zoo::ArchName arch = zoo::parse_arch_name_or_throw(spec.architecture);
  if (arch.family == zoo::Family::torchscript) {
    throw ConfigError("architecture torchscript is built from its file: use pretraining "
                      "torchscript:<path>");
  }
  const auto norms = normalizations_for(spec.architecture);
  if (std::find(norms.begin(), norms.end(), spec.normalization) == norms.end()) {
    std::string list;
    for (const auto& n : norms) list += (list.empty() ? "" : ", ") + n;
    throw ConfigError("architecture " + spec.architecture + " does not take normalization '" +
                      spec.normalization + "': expected one of " + list);
  }
  if (spec.num_classes < 1) throw ConfigError("a model needs at least one class");
  for (auto d : spec.input_shape) {
    if (d < 1) throw ConfigError("architecture " + spec.architecture + ": empty input shape");
  }
  // The convolutional families pool and normalise images: channels-last (see use_channels_last()).
  const auto channels_last = [](ProbedModel m) {
    m->use_channels_last();
    return m;
  };
  switch (arch.family) {
    case zoo::Family::mlp: return zoo::make_mlp(spec);
    case zoo::Family::cnn: return channels_last(zoo::make_cnn(spec));
    case zoo::Family::cifar_resnet:
    case zoo::Family::resnet18: return channels_last(zoo::make_resnet(arch, spec));
    case zoo::Family::vgg: return channels_last(zoo::make_vgg(arch, spec));
    case zoo::Family::vit: return zoo::make_vit(arch, spec);
    case zoo::Family::torchscript: break;
  }
  CP_THROW_INTERNAL("architecture '" + spec.architecture + "' is parsed but not built");
}

}  // namespace cp
