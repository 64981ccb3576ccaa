#pragma once
// k-means (Lloyd) with k-means++ seeding and restarts; the best inertia is kept.
#include <cstdint>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

struct KMeansParams {
  int k = 2;                ///< clusters (1 <= k <= rows)
  int restarts = 10;        ///< independent k-means++ seedings, best inertia kept
  int max_iter = 100;       ///< Lloyd iterations per restart
  double tol = 1.0e-4;      ///< stop when the relative inertia decrease is below tol
  std::uint64_t seed = 1234;
  /// Rows k-means++ draws its centres from. 0 (auto): a uniform sample of
  /// min(256 k, 2^25 / columns) rows when that is at least 64 k and at most
  /// half the rows (each greedy step then reads the sample, not every row; the
  /// final inertia stays within 0.5% of seeding from all rows, bench/README.md);
  /// otherwise all rows. n > 0: a sample of n rows. Negative: all rows.
  std::int64_t seeding_rows = 0;
};

struct KMeansResult {
  RowMatrixXf centroids;          ///< k x dim
  std::vector<std::int32_t> labels;  ///< cluster of each row, in [0, k)
  double inertia = 0;             ///< sum of squared distances to the assigned centroid
  int iterations = 0;             ///< Lloyd iterations of the kept restart
};

/// Local. Clusters the rows of X. Empty clusters are re-seeded with the point
/// farthest from its centroid. Throws InternalError if k is out of range.
/// Seeding is greedy k-means++ (2 + log k candidates per centre, as sklearn).
/// Restart r draws from its own stream derived from (seed, r), so the first
/// restart is the same whatever `restarts` is, and the result does not depend
/// on the number of OpenMP threads. `labels` equal assign_nearest(X, centroids).
/// kmeans_parallel() (kmeans_parallel.hpp) runs this same algorithm with the
/// rows spread over MPI ranks.
KMeansResult kmeans(const RowMatrixXf& X, const KMeansParams& params);

/// Local. kmeans(*X[i], params[i]) for every i, with the restarts of all of
/// them spread over the threads as one pool (several small clusterings, e.g.
/// one per superclass, keep every thread busy). Same results as one call
/// each; throws as kmeans() does for the first bad input.
std::vector<KMeansResult> kmeans_each(const std::vector<const RowMatrixXf*>& X,
                                      const std::vector<KMeansParams>& params);

/// Local. Lloyd iterations from the given centroids (one run, no seeding):
/// k = initial_centroids.rows(); params.max_iter and params.tol apply,
/// params.k, restarts and seed are unused. Same stopping and empty-cluster
/// rules as kmeans(). Throws InternalError if k is not in [1, rows], the
/// widths differ, or the data or centroids are not finite.
KMeansResult kmeans_from(const RowMatrixXf& X, const RowMatrixXf& initial_centroids,
                         const KMeansParams& params);

/// Local. Index of the nearest centroid for each row of X.
std::vector<std::int32_t> assign_nearest(const RowMatrixXf& X, const RowMatrixXf& centroids);

}  // namespace cp
