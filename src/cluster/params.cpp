#include "clusterprobe/cluster/params.hpp"

namespace cp {

const std::vector<std::string>& community_algorithms() {
  static const std::vector<std::string> names{"leiden", "louvain"};
  return names;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace cp
