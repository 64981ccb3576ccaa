// Serial k-means entry points. The algorithm itself (greedy k-means++
// seeding, Lloyd iterations, empty-cluster re-seeding) lives in lloyd.cpp,
// shared with kmeans_parallel(): here every row is in the one part of a
// SerialPartition, whose reductions do nothing.
#include "clusterprobe/cluster/kmeans.hpp"

#include <string>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "lloyd.hpp"

namespace cp {

KMeansResult kmeans(const RowMatrixXf& X, const KMeansParams& params) {
  const std::string error = detail::lloyd_input_error(X, X.cols(), params, nullptr, X.rows());
  if (!error.empty()) CP_THROW_INTERNAL(error);
  detail::SerialPartition part(X.rows());
  return detail::run_lloyd(X, params, nullptr, part);
}

std::vector<KMeansResult> kmeans_each(const std::vector<const RowMatrixXf*>& X,
                                      const std::vector<KMeansParams>& params) {
  CP_ASSERT(X.size() == params.size(), "kmeans_each: one KMeansParams per matrix");
  for (std::size_t i = 0; i < X.size(); ++i) {
    const std::string error = detail::lloyd_input_error(*X[i], X[i]->cols(), params[i], nullptr, X[i]->rows());
    if (!error.empty()) CP_THROW_INTERNAL(error);
  }
  return detail::run_lloyd_each(X, params);
}

KMeansResult kmeans_from(const RowMatrixXf& X, const RowMatrixXf& initial_centroids,
                         const KMeansParams& params) {
  const std::string error =
      detail::lloyd_input_error(X, X.cols(), params, &initial_centroids, X.rows());
  if (!error.empty()) CP_THROW_INTERNAL(error);
  detail::SerialPartition part(X.rows());
  return detail::run_lloyd(X, params, &initial_centroids, part);
}

std::vector<std::int32_t> assign_nearest(const RowMatrixXf& X, const RowMatrixXf& centroids) {
  CP_ASSERT(centroids.rows() >= 1, "no centroids");
  CP_ASSERT(centroids.cols() == X.cols(), "centroids have " + std::to_string(centroids.cols()) +
                                              " columns, data " + std::to_string(X.cols()));
  return detail::nearest_centroids(X, centroids);
}

}  // namespace cp
