#pragma once
// External clustering metrics, defined as in scikit-learn 1.2
// (sklearn.metrics.adjusted_mutual_info_score with average_method="arithmetic",
// adjusted_rand_score, normalized_mutual_info_score), so values agree with it.
#include <cstdint>
#include <vector>

namespace cp {

// Labels may be any int32 values (negative, non-contiguous); truth and pred
// must have the same length, else InternalError. As in sklearn 1.2: empty
// input, or both labelings a single cluster, scores 1.0 on all three; one side
// a single cluster and the other not scores 0.0.

/// Local. Adjusted mutual information (arithmetic normalisation). One
/// deliberate difference: when both labelings are all singletons (n >= 2)
/// AMI is 0/0 and sklearn returns rounding noise (0.0 for n = 2 and 4, 1.0
/// otherwise); this returns 1.0 for every n.
double adjusted_mutual_info(const std::vector<std::int32_t>& truth,
                            const std::vector<std::int32_t>& pred);
/// Local. Normalised mutual information (arithmetic normalisation).
double normalized_mutual_info(const std::vector<std::int32_t>& truth,
                              const std::vector<std::int32_t>& pred);
/// Local. Adjusted Rand index.
double adjusted_rand(const std::vector<std::int32_t>& truth,
                     const std::vector<std::int32_t>& pred);

/// Local. Best one-to-one matching of clusters to classes (Hungarian method on
/// the contingency table); returns the fraction of rows whose matched class is
/// their true class. Unmatched clusters (more clusters than classes) count as wrong.
/// Empty input scores 1.0, like the sklearn scores above.
double matched_accuracy(const std::vector<std::int32_t>& truth,
                        const std::vector<std::int32_t>& pred);

/// Local. The matching itself: match[c] = class for cluster label c (labels as
/// given, not compacted), -1 if unmatched. Maximises the matched count.
/// Size max(pred) + 1. Labels must be non-negative (InternalError otherwise).
std::vector<std::int32_t> match_clusters(const std::vector<std::int32_t>& truth,
                                         const std::vector<std::int32_t>& pred);

/// Local. Rectangular linear sum assignment (minimises cost): for an r x c
/// row-major cost matrix returns, for each row, its column or -1 (r > c).
/// Same algorithm and tie-breaking as scipy.optimize.linear_sum_assignment;
/// +inf marks a forbidden cell. NaN, -inf, a wrong size or no feasible
/// assignment throw InternalError. O(min(r,c)^2 max(r,c)) time.
std::vector<int> linear_sum_assignment(const std::vector<double>& cost, int rows, int cols);

}  // namespace cp
