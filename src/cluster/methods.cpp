#include "clusterprobe/cluster/methods.hpp"

#include <algorithm>

#include "clusterprobe/cluster/affinity.hpp"
#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/spectral.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

SscParams ssc_params(const ClusterParams& config, std::uint64_t seed) {
  SscParams p = config.ssc;
  p.seed = seed;
  return p;
}

RowMatrixXf cluster_means(const RowMatrixXf& X, const std::vector<std::int32_t>& labels, int k) {
  RowMatrixXf sums = RowMatrixXf::Zero(k, X.cols());
  std::vector<std::int64_t> counts(static_cast<std::size_t>(k), 0);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    sums.row(labels[i]) += X.row(static_cast<Eigen::Index>(i));
    ++counts[static_cast<std::size_t>(labels[i])];
  }
  for (int c = 0; c < k; ++c) {
    if (counts[static_cast<std::size_t>(c)] > 0) sums.row(c) /= static_cast<float>(counts[static_cast<std::size_t>(c)]);
  }
  return sums;
}

RowMatrixXf select_rows(const RowMatrixXf& X, const std::vector<std::int64_t>& rows) {
  RowMatrixXf out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  return out;
}

namespace {

KMeansParams kmeans_params(const ClusterParams& config, int k, std::uint64_t seed) {
  KMeansParams km = config.kmeans;
  km.k = k;
  km.seed = seed;
  return km;
}

}  // namespace

Partition cluster_graph(const Affinity& W, const RowMatrixXf& X, int k, const ClusterParams& config,
                        std::uint64_t seed) {
  Partition p;
  p.labels = spectral_clustering(W, k, kmeans_params(config, k, seed));
  p.centroids = cluster_means(X, p.labels, k);
  return p;
}

std::vector<Partition> kmeans_each_rows(const std::vector<const RowMatrixXf*>& X, const std::vector<int>& k,
                                        const ClusterParams& config, const std::vector<std::uint64_t>& seed) {
  std::vector<KMeansParams> params;
  for (std::size_t i = 0; i < X.size(); ++i) params.push_back(kmeans_params(config, k[i], seed[i]));
  std::vector<Partition> out;
  for (auto& r : kmeans_each(X, params)) out.push_back(Partition{std::move(r.labels), std::move(r.centroids)});
  return out;
}

Partition cluster_rows(Method method, const RowMatrixXf& X, int k, const ClusterParams& config,
                       std::uint64_t seed) {
  switch (method) {
    case Method::kmeans: {
      auto r = kmeans(X, kmeans_params(config, k, seed));
      return Partition{std::move(r.labels), std::move(r.centroids)};
    }
    case Method::spectral: {
      // A neighbour count beyond the row count would make every graph complete.
      const int knn = std::max(1, std::min<int>(config.knn, static_cast<int>(X.rows()) - 1));
      return cluster_graph(knn_affinity(X, knn), X, k, config, seed);
    }
    case Method::ssc:
      return cluster_graph(ssc_affinity(X, ssc_params(config, seed)), X, k, config, seed);
  }
  CP_THROW_INTERNAL("cluster_rows: method " + std::to_string(static_cast<int>(method)));
}

}  // namespace cp
