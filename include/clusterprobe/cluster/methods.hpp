#pragma once
// The clustering methods a study can select (cluster.methods), behind one call.
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/common/matrix.hpp"
#include "clusterprobe/cluster/params.hpp"

namespace cp {

/// A partition of rows into k clusters, with each cluster's mean in the
/// clustered space (for k-means, its centroids), so that new rows can
/// be assigned to the nearest cluster whatever the method.
struct Partition {
  std::vector<std::int32_t> labels;
  RowMatrixXf centroids;  ///< k x dim
};

/// Local. Clusters the rows of X into k clusters with `method`:
///   kmeans   k-means++ and Lloyd, best of cluster.restarts;
///   spectral normalised spectral clustering of the self-tuning kNN graph (cluster.knn);
///   ssc      spectral clustering of the sparse-subspace-clustering affinity.
Partition cluster_rows(Method method, const RowMatrixXf& X, int k, const ClusterParams& config,
                       std::uint64_t seed);

/// Local. cluster_rows(Method::kmeans, *X[i], k[i], config, seed[i]) for every i,
/// their restarts spread over the threads as one pool (kmeans_each).
std::vector<Partition> kmeans_each_rows(const std::vector<const RowMatrixXf*>& X, const std::vector<int>& k,
                                        const ClusterParams& config, const std::vector<std::uint64_t>& seed);

/// Local. Spectral clustering of an affinity graph W of the rows of X already
/// built (cluster_rows's spectral and ssc), with the clusters' means in X.
Partition cluster_graph(const Affinity& W, const RowMatrixXf& X, int k, const ClusterParams& config,
                        std::uint64_t seed);

/// Local. The SSC parameters a study asks for.
SscParams ssc_params(const ClusterParams& config, std::uint64_t seed);

/// Local. Mean of the rows of each cluster (k x dim; an empty cluster's row is zero).
RowMatrixXf cluster_means(const RowMatrixXf& X, const std::vector<std::int32_t>& labels, int k);

/// Local. The rows of X listed in `rows`, in that order.
RowMatrixXf select_rows(const RowMatrixXf& X, const std::vector<std::int64_t>& rows);

}  // namespace cp
