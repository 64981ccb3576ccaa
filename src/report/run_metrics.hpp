#pragma once
// One run's metrics, indexed for the report's tables and figures. Private to src/report.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "clusterprobe/metrics/record.hpp"

namespace cp::detail {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// Methods that are not clusterings: measures of the labels, layer similarity.
inline bool is_clustering(const std::string& method) { return method != vocab::kLabels && method != vocab::kCka; }

// (epoch, layer, scope, method, metric) -> value, for one run.
class RunMetrics {
 public:
  void add(const MetricRecord& r) { values_[{r.epoch, r.layer, r.scope, r.method, r.metric}] = r.value; }
  double get(int epoch, const std::string& layer, const std::string& scope, const std::string& method,
             const std::string& metric) const {
    auto it = values_.find({epoch, layer, scope, method, metric});
    return it == values_.end() ? kMissing : it->second;
  }
  std::set<int> epochs() const {
    std::set<int> e;
    for (const auto& [k, v] : values_) e.insert(std::get<0>(k));
    return e;
  }
  // Every layer of the run: "input" first, "logits" last, the rest sorted,
  // which is forward order for every built-in architecture.
  std::vector<std::string> layers() const {
    std::set<std::string> names;
    for (const auto& [k, v] : values_) {
      if (std::get<1>(k) != "*") names.insert(std::get<1>(k));
    }
    std::vector<std::string> out;
    if (names.count("input")) out.push_back("input");
    for (const auto& n : names) {
      if (n != "input" && n != "logits") out.push_back(n);
    }
    if (names.count("logits")) out.push_back("logits");
    return out;
  }
  // The value at the latest epoch that has it: the raw input is stored once
  // (epoch 0) and belongs in the final table all the same.
  double latest(const std::string& layer, const std::string& scope, const std::string& method,
                const std::string& metric) const {
    const auto e = epochs();
    for (auto it = e.rbegin(); it != e.rend(); ++it) {
      const double v = get(*it, layer, scope, method, metric);
      if (!std::isnan(v)) return v;
    }
    return kMissing;
  }
  bool has(const std::string& scope, const std::string& method, const std::string& metric) const {
    return std::any_of(values_.begin(), values_.end(), [&](const auto& kv) {
      return std::get<2>(kv.first) == scope && std::get<3>(kv.first) == method && std::get<4>(kv.first) == metric;
    });
  }

 private:
  std::map<std::tuple<int, std::string, std::string, std::string, std::string>, double> values_;
};


}  // namespace cp::detail
