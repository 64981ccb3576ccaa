#include "clusterprobe/models/registry.hpp"

#include <algorithm>

#include "arch_name.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

// The probe names below must match what the builders in src/models/*.cpp emit
// (tests/unit/test_models.cpp checks every family against them).

const std::vector<std::string>& architecture_families() {
  static const std::vector<std::string> names{
      "mlp",
      "cnn",
      "resnet<6n+2>[-w<k>]",
      "resnet18[-w<k>]",
      "vgg11|vgg13|vgg16|vgg19[-w<k>]",
      "vit[-p<patch>][-d<depth>][-w<width>][-h<heads>][-cls|-mean]",
      "torchscript"};
  return names;
}

void check_architecture(const std::string& name) { zoo::parse_arch_name_or_throw(name); }

bool is_known_architecture(const std::string& name) {
  zoo::ArchName a;
  std::string why;
  return zoo::parse_arch_name(name, &a, &why);
}

bool is_scripted_architecture(const std::string& name) { return name == "torchscript"; }

const std::vector<std::string>& known_normalizations() {
  static const std::vector<std::string> names{"batch", "layer", "group", "none"};
  return names;
}

std::vector<std::string> normalizations_for(const std::string& architecture) {
  // GroupNorm over tokens has no standard reading, so the ViT offers the
  // normalizations transformers are studied with.
  if (zoo::parse_arch_name_or_throw(architecture).family == zoo::Family::vit) {
    return {"layer", "batch", "none"};
  }
  return known_normalizations();
}

namespace {

void append_numbered(std::vector<std::string>* v, const std::string& prefix, int count) {
  for (int i = 1; i <= count; ++i) v->push_back(prefix + std::to_string(i));
}

}  // namespace

std::vector<std::string> probe_points(const std::string& architecture) {
  const zoo::ArchName a = zoo::parse_arch_name_or_throw(architecture);
  std::vector<std::string> v{"input"};
  switch (a.family) {
    case zoo::Family::mlp:
      v.insert(v.end(), {"fc1", "fc2"});
      break;
    case zoo::Family::cnn:
      v.insert(v.end(), {"block1", "block2", "fc"});
      break;
    case zoo::Family::cifar_resnet:
    case zoo::Family::resnet18:
      v.push_back("stem");
      append_numbered(&v, "block", zoo::resnet_stage_count(a) * zoo::resnet_blocks_per_stage(a));
      v.push_back("pool");
      break;
    case zoo::Family::vgg:
      append_numbered(&v, "stage", 5);
      v.insert(v.end(), {"fc1", "fc2"});
      break;
    case zoo::Family::vit:
      v.push_back("embed");
      append_numbered(&v, "block", a.depth);
      v.push_back("pool");
      break;
    case zoo::Family::torchscript:
      v.push_back("output");
      break;
  }
  v.push_back("logits");
  return v;
}

std::string penultimate_point(const std::string& architecture) {
  const auto points = probe_points(architecture);
  return points[points.size() - 2];  // every family: the layer just before "logits"
}

}  // namespace cp
