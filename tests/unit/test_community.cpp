// Community detection (igraph Leiden / Louvain), modularity and the class
// affinity ratio. No test depends on the order of community ids.
#include <gtest/gtest.h>

#include <igraph/igraph.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "clusterprobe/cluster/community.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;
using Triplets = std::vector<Eigen::Triplet<double>>;

cp::Affinity from_edges(int n, const std::vector<std::tuple<int, int, double>>& edges) {
  Triplets t;
  for (const auto& [i, j, w] : edges) {
    t.emplace_back(i, j, w);
    t.emplace_back(j, i, w);
  }
  cp::Affinity W(n, n);
  W.setFromTriplets(t.begin(), t.end());
  return W;
}

struct Planted {
  cp::Affinity W;
  Labels truth;
};

/// Planted partition: `groups` x `size` vertices, edge probability p_in inside
/// a group and p_out across, random weights in [0.5, 1.5).
Planted planted_partition(int groups, int size, double p_in, double p_out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = groups * size;
  std::vector<std::tuple<int, int, double>> edges;
  Planted p;
  for (int i = 0; i < n; ++i) p.truth.push_back(i % groups);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      const double prob = p.truth[i] == p.truth[j] ? p_in : p_out;
      if (u(rng) < prob) edges.emplace_back(i, j, 0.5 + u(rng));
    }
  }
  p.W = from_edges(n, edges);
  return p;
}

/// Two triangles {0,1,2} and {3,4,5} joined by the edge 2-3, unit weights.
cp::Affinity two_triangles() {
  return from_edges(6, {{0, 1, 1}, {0, 2, 1}, {1, 2, 1}, {3, 4, 1}, {3, 5, 1}, {4, 5, 1}, {2, 3, 1}});
}

/// igraph_modularity on the graph of W's upper triangle (the reference).
double igraph_reference(const cp::Affinity& W, const Labels& labels, double resolution) {
  igraph_vector_int_t edges, membership;
  igraph_vector_t weights;
  igraph_vector_int_init(&edges, 0);
  igraph_vector_init(&weights, 0);
  for (Eigen::Index i = 0; i < W.rows(); ++i) {
    for (cp::Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() <= i) continue;
      igraph_vector_int_push_back(&edges, i);
      igraph_vector_int_push_back(&edges, it.col());
      igraph_vector_push_back(&weights, it.value());
    }
  }
  igraph_vector_int_init(&membership, static_cast<igraph_integer_t>(labels.size()));
  for (std::size_t i = 0; i < labels.size(); ++i) VECTOR(membership)[i] = labels[i];
  igraph_t g;
  igraph_create(&g, &edges, W.rows(), IGRAPH_UNDIRECTED);
  igraph_real_t q = 0;
  EXPECT_EQ(igraph_modularity(&g, &membership, &weights, resolution, /*directed=*/false, &q),
            IGRAPH_SUCCESS);
  igraph_destroy(&g);
  igraph_vector_int_destroy(&membership);
  igraph_vector_destroy(&weights);
  igraph_vector_int_destroy(&edges);
  return q;
}

TEST(Modularity, TwoTrianglesByHand) {
  // 7 unit edges: 2m = 14. Degrees 2,2,3 | 3,2,2, so each triangle has
  // volume K = 7. Inside weight, both orders: 2 * (3 + 3) = 12.
  //   gamma = 1:   Q = 12/14 - (7^2 + 7^2)/14^2 = 6/7 - 1/2 = 5/14
  //   gamma = 0.5: Q = 6/7 - 0.5 * 1/2 = 17/28
  // One community: Q = 14/14 - 14^2/14^2 = 0.
  // Singletons (gamma = 1): Q = 0 - (4+4+9+9+4+4)/196 = -34/196.
  const cp::Affinity W = two_triangles();
  const Labels split = {0, 0, 0, 1, 1, 1};
  EXPECT_NEAR(cp::modularity(W, split), 5.0 / 14.0, 1e-15);
  EXPECT_NEAR(cp::modularity(W, split, 0.5), 17.0 / 28.0, 1e-15);
  EXPECT_NEAR(cp::modularity(W, {7, 7, 7, 7, 7, 7}), 0.0, 1e-15);
  EXPECT_NEAR(cp::modularity(W, {0, 1, 2, 3, 4, 5}), -34.0 / 196.0, 1e-15);
  // Arbitrary label values (negative, sparse) mean the same partition.
  EXPECT_NEAR(cp::modularity(W, {-5, -5, -5, 90, 90, 90}), 5.0 / 14.0, 1e-15);
  for (double gamma : {1.0, 0.5}) {
    EXPECT_NEAR(cp::modularity(W, split, gamma), igraph_reference(W, split, gamma), 1e-14);
  }
}

TEST(Modularity, AgreesWithIgraphOnWeightedGraphs) {
  const Planted p = planted_partition(3, 20, 0.4, 0.1, 11);
  std::mt19937_64 rng(12);
  Labels random(p.truth.size());
  for (auto& l : random) l = static_cast<std::int32_t>(rng() % 5);
  for (const Labels* labels : {&p.truth, static_cast<const Labels*>(&random)}) {
    for (double gamma : {1.0, 0.3, 2.0}) {
      EXPECT_NEAR(cp::modularity(p.W, *labels, gamma), igraph_reference(p.W, *labels, gamma), 1e-12);
    }
  }
  // The diagonal is ignored, as in the igraph graph built from the upper triangle.
  cp::Affinity looped = p.W;
  looped.coeffRef(0, 0) = 5.0;
  EXPECT_NEAR(cp::modularity(looped, p.truth), cp::modularity(p.W, p.truth), 1e-15);
}

TEST(Communities, LeidenAndLouvainRecoverPlantedPartition) {
  const Planted p = planted_partition(4, 30, 0.5, 0.02, 21);
  for (const char* algorithm : {"leiden", "louvain"}) {
    const cp::CommunityResult r = cp::detect_communities(p.W, algorithm, 1.0, 5);
    ASSERT_EQ(r.membership.size(), p.truth.size());
    EXPECT_GT(cp::adjusted_mutual_info(p.truth, r.membership), 0.9) << algorithm;
    EXPECT_DOUBLE_EQ(r.modularity, cp::modularity(p.W, r.membership)) << algorithm;
    EXPECT_GE(r.modularity, cp::modularity(p.W, p.truth) - 1e-3) << algorithm;
    for (std::int32_t c : r.membership) {
      EXPECT_GE(c, 0);
      EXPECT_LT(c, r.count);
    }
    // Same seed, same partition.
    EXPECT_EQ(cp::detect_communities(p.W, algorithm, 1.0, 5).membership, r.membership);
  }
}

TEST(Communities, ResolutionControlsGranularity) {
  const Planted p = planted_partition(4, 30, 0.5, 0.02, 22);
  const int coarse = cp::detect_communities(p.W, "leiden", 0.05, 1).count;
  const int fine = cp::detect_communities(p.W, "leiden", 5.0, 1).count;
  EXPECT_LT(coarse, 4);
  EXPECT_GT(fine, 4);
}

TEST(Communities, EdgeCasesAndErrors) {
  const cp::CommunityResult empty = cp::detect_communities(cp::Affinity(3, 3), "leiden");
  EXPECT_EQ(empty.membership, (Labels{0, 1, 2}));
  EXPECT_EQ(empty.count, 3);
  EXPECT_TRUE(std::isnan(empty.modularity));
  EXPECT_THROW(cp::detect_communities(two_triangles(), "infomap"), cp::ConfigError);
  EXPECT_THROW(cp::modularity(two_triangles(), {0, 1}), cp::InternalError);
  EXPECT_THROW(cp::class_affinity_ratio(two_triangles(), {0}), cp::InternalError);
}

TEST(ClassAffinityRatio, ByHand) {
  // Edges 0-1 (3), 0-2 (1), 2-3 (2); vertex 4 isolated. Labels {0,0,1,1,1}.
  //   vertex 0: same 3 of 4 -> 0.75     vertex 1: 3 of 3 -> 1
  //   vertex 2: same 2 of 3 -> 2/3      vertex 3: 2 of 2 -> 1
  //   vertex 4: no mass, not counted.   Mean = (0.75 + 1 + 2/3 + 1) / 4 = 41/48.
  const cp::Affinity W = from_edges(5, {{0, 1, 3}, {0, 2, 1}, {2, 3, 2}});
  EXPECT_NEAR(cp::class_affinity_ratio(W, {0, 0, 1, 1, 1}), 41.0 / 48.0, 1e-15);
  EXPECT_DOUBLE_EQ(cp::class_affinity_ratio(W, {4, 4, 4, 4, 4}), 1.0);
  EXPECT_TRUE(std::isnan(cp::class_affinity_ratio(cp::Affinity(2, 2), {0, 1})));
}

}  // namespace
