#pragma once
// The measures of an item clustered across ranks that need all of its rows
// at once (spectral, ssc, community, silhouette): run in memory on a uniform
// sample of the preprocessed rows, one rank per measure. Private to src/probe.
#include <mpi.h>

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

/// What every rank of the item knows, and the block of rows it holds.
struct SplitItem {
  const RowMatrixXf& X;  ///< this rank's preprocessed rows, [first, first + X.rows())
  std::int64_t first = 0;
  const std::vector<std::int32_t>& fine;    ///< all rows
  const std::vector<std::int32_t>& coarse;  ///< all rows
  const std::optional<std::vector<std::int32_t>>& predicted;
};

/// Collective over comm. Rows `rows` (ascending, of all ranks' blocks; this
/// rank holds [first, first + block.rows())) gathered to `root`, in order;
/// the other ranks get an empty matrix.
RowMatrixXf gather_rows_to(const RowMatrixXf& block, std::int64_t first, const std::vector<std::int64_t>& rows,
                           int root, MPI_Comm comm);

/// Collective over comm. The sampled measures of the item:
///  - silhouette (with subclass_silhouette): the rows silhouette() samples in
///    memory (silhouette_max_points, seed 0), so the values equal the
///    in-memory path's whenever the sample fits;
///  - each of spectral and ssc (community with ssc, or alone): a sample of
///    cluster.sample_points rows (seed kProbeSeed), its size recorded as
///    (global, <method>, sample_points) when it is not all rows.
/// A sample never needs more than max(`item_memory`, 256 MiB) in memory
/// (in_memory_item_bytes): it shrinks to fit. Each task's sample is gathered to one rank (tasks go
/// round the ranks) and scored there; rank 0 returns all the records. A failure
/// on any rank throws the same agreed error on all.
RecordBatch probe_sampled(const SplitItem& item, const LayerKey& key, const std::string& run_id,
                          const ClusterParams& config, const std::vector<Measure>& metrics,
                          std::int64_t item_memory, MPI_Comm comm);

}  // namespace cp::detail
