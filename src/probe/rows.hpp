#pragma once
// The in-memory probe on rows already read and preprocessed: the whole
// matrix (cluster_probe()) or a uniform sample of a matrix clustered across
// ranks (distributed.cpp, for what has no distributed form). Private
// to src/probe.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/common/matrix.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp::detail {

struct ProbeRows {
  RowMatrixXf raw;  ///< as stored: nc1 and selectivity measure it (empty if neither is asked)
  RowMatrixXf X;    ///< after cluster.preprocess, finite
  std::vector<std::int32_t> fine, coarse;
  /// The network's superclass per row at this epoch: e2e accuracy needs the
  /// prediction of the same network whose features are clustered.
  std::optional<std::vector<std::int32_t>> predicted;
  /// The stored row of each row, for the assignments; empty: row i is row i.
  std::vector<std::int64_t> index;
};

/// Local. config.methods on the rows, then the label measures and community
/// structure `metrics` asks for.
RecordBatch probe_rows(ProbeRows rows, const LayerKey& key, const std::string& run_id, const ClusterParams& config,
                       const std::vector<Measure>& metrics);

}  // namespace cp::detail
