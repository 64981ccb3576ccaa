#pragma once
// The probing protocol (probe/probe.hpp) on a matrix no rank holds whole:
// the cluster stage's path for items above cluster.max_item_memory.
#include <mpi.h>

#include <string>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp {

/// Collective over comm. Rank r of p reads only rows [N r / p, N (r + 1) / p)
/// of `key` (a hyperslab of the file); no rank ever holds the whole matrix.
///  - Exact, from sums over the ranks: every preprocessing step (means, the
///    covariance and the randomized sketch reduced; see preprocess()), k-means
///    (kmeans_parallel() on the rows concerned, so partitions equal
///    cluster_probe()'s for the same seeds), e2e accuracy, nc1 and
///    selectivity (class counts, sums and squared deviations reduced).
///  - Sampled (src/probe/sampled.hpp): spectral, ssc, community, and silhouette
///    on the rows the in-memory path samples; each sample fits in
///    `item_memory` and its size is recorded when it is not all rows.
/// Rank 0 returns the records, the others an empty batch. Unusable data
/// (non-finite values, also after preprocessing; fewer than 2 rows or fine
/// classes) throw the same InputError on every rank.
RecordBatch cluster_probe_distributed(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                                      const ClusterParams& config, const std::vector<Measure>& metrics,
                                      std::int64_t item_memory, MPI_Comm comm);

/// Local. What cluster_probe() needs in memory for a rows x dim matrix:
/// about 3.1 times its float32 bytes with the raw rows kept
/// (measures_raw_rows: raw rows, the preprocessed copy, the copy a
/// clustering selects), 2.1 times without (measured by
/// bench/cluster_scaling.sh: 3.0 and 2.0).
std::int64_t in_memory_item_bytes(std::int64_t rows, std::int64_t dim, bool raw_rows_kept);

/// Local. What cluster_probe_distributed() needs over all its ranks together
/// for a rows x dim matrix: about 1.5 times its float32 bytes (each rank's
/// block, its preprocessed copy and a clustering's selection; measured by
/// bench/cluster_scaling.sh), plus a process's base on each rank.
std::int64_t distributed_item_bytes(std::int64_t rows, std::int64_t dim);

}  // namespace cp
