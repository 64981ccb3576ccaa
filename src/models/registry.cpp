#include "clusterprobe/models/registry.hpp"

#include <map>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

struct ArchInfo {
  std::vector<std::string> probes;
  std::string penultimate;
};

const std::map<std::string, ArchInfo>& table() {
  // Must match the probe maps built in src/models/*.cpp (a test checks it).
  static const std::map<std::string, ArchInfo> t{
      {"mlp", {{"input", "fc1", "fc2", "logits"}, "fc2"}},
      {"cnn", {{"input", "block1", "block2", "fc", "logits"}, "fc"}},
  };
  return t;
}

const ArchInfo& info(const std::string& architecture) {
  auto it = table().find(architecture);
  if (it == table().end()) throw ConfigError("unknown architecture '" + architecture + "'");
  return it->second;
}

}  // namespace

const std::vector<std::string>& known_architectures() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& [name, _] : table()) v.push_back(name);
    return v;
  }();
  return names;
}

const std::vector<std::string>& known_normalizations() {
  static const std::vector<std::string> names{"batch", "layer", "group", "none"};
  return names;
}

const std::vector<std::string>& probe_points(const std::string& architecture) {
  return info(architecture).probes;
}

const std::string& penultimate_point(const std::string& architecture) {
  return info(architecture).penultimate;
}

}  // namespace cp
