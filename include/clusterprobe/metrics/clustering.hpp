#pragma once
// External clustering metrics, defined as in scikit-learn 1.2
// (sklearn.metrics.adjusted_mutual_info_score with average_method="arithmetic",
// adjusted_rand_score, normalized_mutual_info_score), so values agree with it.
#include <cstdint>
#include <vector>

namespace cp {

/// Local. Adjusted mutual information (arithmetic normalisation).
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
double matched_accuracy(const std::vector<std::int32_t>& truth,
                        const std::vector<std::int32_t>& pred);

/// Local. The matching itself: match[c] = class for cluster label c (labels as
/// given, not compacted), -1 if unmatched. Maximises the matched count.
std::vector<std::int32_t> match_clusters(const std::vector<std::int32_t>& truth,
                                         const std::vector<std::int32_t>& pred);

/// Local. Rectangular linear sum assignment (minimises cost): for an r x c
/// row-major cost matrix returns, for each row, its column or -1 (r > c).
std::vector<int> linear_sum_assignment(const std::vector<double>& cost, int rows, int cols);

}  // namespace cp
