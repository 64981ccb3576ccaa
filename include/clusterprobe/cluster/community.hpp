#pragma once
// Community detection and modularity on affinity graphs (the "community
// structure of each layer graph" analysis of Saini et al. 2021).
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/cluster/affinity.hpp"

namespace cp {

struct CommunityResult {
  std::vector<std::int32_t> membership;  ///< community of each vertex, in [0, count)
  double modularity = 0;                 ///< modularity(W, membership, resolution)
  int count = 0;                         ///< number of communities
};

/// Local. Partitions the weighted undirected graph W (its strict upper
/// triangle: the diagonal is ignored) by maximising Newman's modularity with
/// resolution gamma, using igraph 0.10: "leiden" (igraph_community_leiden
/// with node weights k_i and resolution gamma / 2m, which turns its
/// constant-Potts objective into modularity; iterated until stable, beta
/// 0.01) or "louvain" (igraph_community_multilevel). igraph's default RNG is
/// seeded with `seed` first, so results are reproducible. A graph without
/// edges gives singletons and a NaN modularity (undefined, as in igraph).
/// Calls are serialised by a mutex (igraph's RNG and error handler are
/// global). Unknown algorithm: ConfigError; igraph failure: InternalError.
/// REQUIRES: W square, symmetric, non-negative, finite; resolution >= 0.
CommunityResult detect_communities(const Affinity& W, const std::string& algorithm,
                                   double resolution = 1.0, std::uint64_t seed = 0);

/// Local. Newman's weighted modularity with resolution gamma,
///   Q = 1/(2m) sum_ij [W_ij - gamma k_i k_j / (2m)] delta(c_i, c_j),
/// k_i = sum_j W_ij, 2m = sum_ij W_ij, computed directly in O(nnz + n) from the
/// off-diagonal entries (the diagonal is ignored, matching detect_communities'
/// graph). Equals igraph_modularity on that graph. Partition labels may be any
/// int32 values; a wrong size is an InternalError. NaN when W has no edges.
double modularity(const Affinity& W, const std::vector<std::int32_t>& partition,
                  double resolution = 1.0);

/// Local. Mean over the vertices with nonzero affinity mass of
/// (mass to vertices of the same label) / (total mass), ignoring the
/// diagonal: 1 when every edge stays within a label. NaN when no vertex has
/// mass. A wrong label count is an InternalError.
double class_affinity_ratio(const Affinity& W, const std::vector<std::int32_t>& labels);

}  // namespace cp
