#pragma once
// Silhouette coefficient, defined as scikit-learn 1.2's
// sklearn.metrics.silhouette_samples / silhouette_score:
//   s(i) = (b(i) - a(i)) / max(a(i), b(i)),
//   a(i) = mean distance from i to the other members of its cluster,
//   b(i) = smallest mean distance from i to the members of another cluster,
// s(i) = 0 for a member of a singleton cluster (and for a = b = 0, which
// sklearn turns from 0/0 into 0). Distances:
//   euclidean  ||x - y||
//   cosine     1 - x.y / (||x|| ||y||), in [0, 2]; a zero row is at
//              distance 1 from every other row (sklearn's convention).
// The distance of a row to itself is 0 for both metrics.
//
// Cost: euclidean is O(n^2 d) (blocked GEMMs in double, never an n x n
// matrix); cosine is O(n d C) for C clusters, because the cosine distance is
// linear in the normalised rows, so the distances to a cluster sum through
// the sum of its normalised rows. Both run in double and are parallel over
// OpenMP threads; results do not depend on the number of threads.
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// Local. Silhouette coefficient of every row of X under `labels` (any int32
/// values; one per row) and `metric` ("euclidean" or "cosine"). Throws
/// InternalError, like sklearn's ValueError, unless 2 <= number of distinct
/// labels <= rows - 1; also for an unknown metric, a length mismatch or
/// non-finite data.
std::vector<double> silhouette_samples(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                                       const std::string& metric);

/// Local. Mean silhouette coefficient (sklearn.metrics.silhouette_score).
/// Exact when rows <= max_points (or max_points <= 0); otherwise computed on
/// a uniform sample of max_points rows drawn without replacement, the same
/// rows for the same seed on every platform (the label-count check then
/// applies to the sample, as in sklearn with sample_size). The number of rows
/// used is stored in *points_used when given. Errors as silhouette_samples.
double silhouette(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                  const std::string& metric, std::int64_t max_points = 20000,
                  std::uint64_t seed = 0, std::int64_t* points_used = nullptr);

/// Local. The rows silhouette() uses when it samples: m of [0, n), uniform
/// without replacement for `seed`, ascending (all rows when m >= n).
std::vector<std::int64_t> silhouette_sample(std::int64_t n, std::int64_t m, std::uint64_t seed);

}  // namespace cp
