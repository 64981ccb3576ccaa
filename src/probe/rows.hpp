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

/// Refuses an item that would score perfectly by construction, or not at
/// all: fewer than two rows per fine class lets a clustering give each row a
/// cluster of its own (3 rows of 3 classes score AMI 1.0), and one fine class
/// leaves nothing to recover. An InputError: the item fails with its reason.
void require_scorable(std::int64_t rows, std::size_t fine_classes);

/// Empty, or why distances between these rows overflow float32: k-means and
/// the graphs square them, and values near 1e19 (data scaled wrongly, with no
/// cluster.preprocess) make every distance infinite and every score 0.
/// `first_row` numbers the rows in the message; `when` says after what.
std::string magnitude_problem(const RowMatrixXf& X, std::int64_t first_row, const std::string& when);

/// Local. config.methods on the rows, then the label measures and community
/// structure `metrics` asks for.
RecordBatch probe_rows(ProbeRows rows, const LayerKey& key, const std::string& run_id, const ClusterParams& config,
                       const std::vector<Measure>& metrics);

}  // namespace cp::detail
