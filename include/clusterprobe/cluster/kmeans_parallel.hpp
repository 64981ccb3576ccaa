#pragma once
// Data-parallel k-means: the rows of one clustering are spread over the ranks
// of a communicator (any split, a rank may hold none) and every rank runs the
// same Lloyd iterations on its rows; centroid sums, counts and the inertia are
// reduced over the ranks. The algorithm is kmeans()'s, step for step (same
// k-means++ draws, stopping rule, empty-cluster rule and restarts), so the
// result equals kmeans() on the rows concatenated in rank order, up to the
// rounding of the sums that cross ranks (~1e-16 relative).
#include <mpi.h>

#include "clusterprobe/cluster/kmeans.hpp"

namespace cp {

/// Collective over comm. k-means of the union of every rank's `local_rows`
/// (row blocks in rank order). Every rank must pass the same params; ranks
/// holding rows must agree on their width (a rank with no rows may pass any
/// width). Returns, on every rank, the same centroids, inertia and iterations,
/// and `labels` for this rank's rows only. Any invalid input (k outside
/// [1, total rows], differing widths or params, NaN/inf values on any rank)
/// throws InternalError on every rank, before any clustering starts.
KMeansResult kmeans_parallel(const RowMatrixXf& local_rows, const KMeansParams& params,
                             MPI_Comm comm);

/// Collective over comm. Lloyd iterations from `initial_centroids` (the same
/// on every rank), as kmeans_from() on the concatenated rows: one run,
/// k = initial_centroids.rows(), params.k, restarts and seed unused.
KMeansResult kmeans_parallel_from(const RowMatrixXf& local_rows,
                                  const RowMatrixXf& initial_centroids,
                                  const KMeansParams& params, MPI_Comm comm);

}  // namespace cp
