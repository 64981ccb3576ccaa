#pragma once
// The parameters of the clustering phase. The study file's `cluster:` section
// maps onto ClusterParams (config/ reads and writes it); each default lives
// here once, in the struct that uses it (KMeansParams, SscParams).
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/method.hpp"
#include "clusterprobe/cluster/ssc.hpp"

namespace cp {

struct ClusterParams {
  std::vector<Method> methods{Method::kmeans};
  std::vector<std::string> preprocess{};       ///< applied in order: center | l2 | whiten | pca:<n> | pca:<fraction>
  /// restarts, max_iter and tol of every k-means (also inside spectral
  /// clustering); k and seed are set for each clustering.
  KMeansParams kmeans;
  int knn = 10;                                ///< neighbours of the spectral method's kNN graph
  /// alpha, admm_max_points and omp_sparsity of the SSC graph; the seed is set per clustering.
  SscParams ssc;
  std::string community = "leiden";            ///< names from community_algorithms()
  double resolution = 1.0;                     ///< modularity resolution of community detection
  std::int64_t silhouette_max_points = 20000;  ///< exact silhouette up to this, sampled beyond
  /// Rows of the uniform sample on which spectral, ssc and community run for
  /// an item clustered across ranks (they need all rows at once).
  std::int64_t sample_points = 20000;
  /// Bytes one rank may spend on one item (study file: a size such as 2GiB,
  /// or auto = 0: half of the node's memory over the ranks on it). A matrix
  /// whose in-memory clustering would need more (about 3.1 x its float32
  /// bytes, measured) is clustered by all ranks together, each holding its
  /// block of rows (probe/distributed.hpp).
  std::int64_t max_item_memory = 0;
};

/// The community detection algorithms (cluster.community): leiden, louvain.
const std::vector<std::string>& community_algorithms();
/// "a, b, c": for messages listing the known names.
std::string joined(const std::vector<std::string>& names);

}  // namespace cp
