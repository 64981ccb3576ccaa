#pragma once
// The probing protocol (cluster/probe.hpp) on a matrix no rank holds whole:
// the cluster stage's path for items above cluster.max_item_memory.
#include <mpi.h>

#include <string>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp {

/// Collective over comm. Rank r of p reads only rows [N r / p, N (r + 1) / p)
/// of `key` (a hyperslab of the file). The preprocessing steps center (column
/// means reduced over the ranks) and l2 (row by row) work on those rows, and
/// every k-means is kmeans_parallel() on the rows concerned, so partitions
/// and scores equal cluster_probe()'s for the same seeds (up to the rounding
/// of sums that cross ranks). Rank 0 returns the records, the others an
/// empty batch.
///
/// Done here: method kmeans; metrics ami, ari, nmi, accuracy and e2e
/// accuracy; nc1 (class sums and scatter reduced over the ranks). Anything
/// else the study asks for on such an item (spectral, ssc, whiten/pca
/// preprocessing, silhouette, selectivity, community)
/// is recorded as a failure of the item that names it, next to the scores
/// computed. Unusable data (non-finite values, fewer than 2 rows or fine
/// classes) throw the same InputError on every rank.
RecordBatch cluster_probe_distributed(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                                      const ClusterParams& config, const std::vector<std::string>& metrics,
                                      MPI_Comm comm);

/// Local. What cluster_probe() needs in memory for a rows x dim matrix:
/// about 3.1 times its float32 bytes (raw rows, the preprocessed copy, the
/// copy a clustering selects; measured).
std::int64_t in_memory_item_bytes(std::int64_t rows, std::int64_t dim);

}  // namespace cp
