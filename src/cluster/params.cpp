#include "clusterprobe/cluster/params.hpp"

namespace cp {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names{"kmeans", "spectral", "ssc"};
  return names;
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names{"ami", "ari", "nmi", "accuracy", "silhouette",
                                              "nc1", "selectivity", "cka", "community"};
  return names;
}

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
