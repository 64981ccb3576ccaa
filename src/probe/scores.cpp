#include "scores.hpp"

#include <algorithm>
#include <numeric>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace cp::detail {

void ItemRecords::add(const std::string& scope, const std::string& method, const std::string& metric,
                      double value) const {
  out.metrics.push_back({run_id, key.layer, key.epoch, scope, method, metric, value});
}

bool ItemRecords::wants(Measure measure) const { return has(metrics, measure); }

void ItemRecords::score(const std::string& scope, const std::string& method, const std::vector<std::int64_t>& rows,
                        const std::vector<std::int32_t>& truth, const std::vector<std::int32_t>& pred,
                        std::map<std::string, std::vector<double>>* collect) const {
  auto record = [&](const std::string& metric, double value) {
    add(scope, method, metric, value);
    if (collect) (*collect)[metric].push_back(value);
  };
  if (wants(Measure::ami)) record(vocab::kAmi, adjusted_mutual_info(truth, pred));
  if (wants(Measure::ari)) record(vocab::kAri, adjusted_rand(truth, pred));
  if (wants(Measure::nmi)) record(vocab::kNmi, normalized_mutual_info(truth, pred));
  if (wants(Measure::accuracy)) record(vocab::kAccuracy, matched_accuracy(truth, pred));
  out.assignments.push_back({run_id, key.layer, key.epoch, scope, method, rows, pred});
}

void ItemRecords::add_means(const std::string& method,
                            const std::map<std::string, std::vector<double>>& per_metric) const {
  for (const auto& [metric, values] : per_metric)
    add(vocab::kMean, method, metric, std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size()));
}

void rethrow_naming(const std::string& path, const LayerKey& key, const std::exception& e) {
  // A matrix that cannot be scored: say which one (the file's own errors already do).
  if (std::string(e.what()).rfind(path, 0) == 0) throw;
  throw InputError(path + ": /epoch_" + std::to_string(key.epoch) + "/" + key.layer + ": " + e.what());
}

}  // namespace cp::detail
