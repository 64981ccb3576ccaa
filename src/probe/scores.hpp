#pragma once
// The records a probe item produces, shared by the in-memory path
// (probe.cpp) and the distributed one (distributed.cpp), so both
// score and name their results the same way. Private to src/probe.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp::detail {

/// The seed of an item's clusterings: superclass s uses kProbeSeed + s + 1, the global one kProbeSeed.
constexpr std::uint64_t kProbeSeed = 1234;

/// Where an item's records go and what they are named after.
struct ItemRecords {
  const std::string& run_id;
  const LayerKey& key;
  const std::vector<Measure>& metrics;
  RecordBatch& out;

  void add(const std::string& scope, const std::string& method, const std::string& metric, double value) const;
  /// Each requested metric of `pred` against `truth` (also into `collect`,
  /// for the superclass means) and the assignment of `rows`.
  void score(const std::string& scope, const std::string& method, const std::vector<std::int64_t>& rows,
             const std::vector<std::int32_t>& truth, const std::vector<std::int32_t>& pred,
             std::map<std::string, std::vector<double>>* collect) const;
  /// The mean scope: each metric's mean over the superclasses.
  void add_means(const std::string& method, const std::map<std::string, std::vector<double>>& per_metric) const;
  bool wants(Measure measure) const;
};

/// Throws `e` again, or an InputError naming the file and /epoch_<e>/<layer>
/// first when its message does not start with the file already.
[[noreturn]] void rethrow_naming(const std::string& path, const LayerKey& key, const std::exception& e);

}  // namespace cp::detail
