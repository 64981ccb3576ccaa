#include "clusterprobe/metrics/measure.hpp"

#include "clusterprobe/common/name_table.hpp"

namespace cp {

const std::vector<std::string>& measure_names() {
  static const std::vector<std::string> names{"ami", "ari", "nmi", "accuracy", "silhouette",
                                              "nc1", "selectivity", "cka", "community"};
  return names;
}

const std::string& name_of(Measure measure) { return name_in(measure_names(), measure); }
std::optional<Measure> parse_measure(const std::string& name) { return parse_name<Measure>(measure_names(), name); }
bool has(const std::vector<Measure>& list, Measure measure) { return contains(list, measure); }

}  // namespace cp
