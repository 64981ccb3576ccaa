#include "clusterprobe/cluster/method.hpp"

#include "clusterprobe/common/name_table.hpp"

namespace cp {

const std::vector<std::string>& method_names() {
  static const std::vector<std::string> names{"kmeans", "spectral", "ssc"};
  return names;
}

const std::string& name_of(Method method) { return name_in(method_names(), method); }
std::optional<Method> parse_method(const std::string& name) { return parse_name<Method>(method_names(), name); }
bool has(const std::vector<Method>& list, Method method) { return contains(list, method); }

}  // namespace cp
