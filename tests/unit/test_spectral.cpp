// kNN affinity and normalised spectral clustering. No test depends on the
// order of cluster ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "clusterprobe/cluster/affinity.hpp"
#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/spectral.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;

struct Points {
  cp::RowMatrixXf X;
  Labels truth;
};

/// Two noisy concentric circles of radii 1 and 4 (like sklearn's make_circles):
/// no line separates them, so k-means cannot.
Points circles(int per_circle, double noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> angle(0.0, 2.0 * 3.141592653589793);
  std::normal_distribution<double> normal(0.0, noise);
  Points p;
  p.X.resize(2 * per_circle, 2);
  for (int i = 0; i < 2 * per_circle; ++i) {
    const int c = i % 2;
    const double r = c == 0 ? 1.0 : 4.0, t = angle(rng);
    p.X(i, 0) = static_cast<float>(r * std::cos(t) + normal(rng));
    p.X(i, 1) = static_cast<float>(r * std::sin(t) + normal(rng));
    p.truth.push_back(c);
  }
  return p;
}

/// k unit-variance Gaussian blobs in `dim` dimensions, centres `spread` apart per axis.
Points blobs(int k, int per, int dim, double spread, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  Eigen::MatrixXd centres(k, dim);
  for (Eigen::Index i = 0; i < centres.size(); ++i) centres.data()[i] = spread * normal(rng);
  Points p;
  p.X.resize(k * per, dim);
  for (int i = 0; i < k * per; ++i) {
    for (int j = 0; j < dim; ++j) p.X(i, j) = static_cast<float>(centres(i % k, j) + normal(rng));
    p.truth.push_back(i % k);
  }
  return p;
}

cp::KMeansParams km_params(int k) {
  cp::KMeansParams km;
  km.k = k;
  km.seed = 3;
  return km;
}

TEST(KnnAffinity, MatchesBruteForce) {
  const Points p = blobs(3, 10, 4, 3.0, 1);
  const int k = 5;
  const Eigen::Index n = p.X.rows();
  const cp::Affinity W = cp::knn_affinity(p.X, k);
  // Reference: exact squared distances, k-th neighbour distance as sigma.
  Eigen::MatrixXd d2(n, n);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      d2(i, j) = (p.X.row(i).cast<double>() - p.X.row(j).cast<double>()).squaredNorm();
    }
  }
  std::vector<std::vector<Eigen::Index>> nn(n);
  std::vector<double> sigma(n);
  for (Eigen::Index i = 0; i < n; ++i) {
    std::vector<Eigen::Index> order;
    for (Eigen::Index j = 0; j < n; ++j) {
      if (j != i) order.push_back(j);
    }
    std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
      return d2(i, a) < d2(i, b) || (d2(i, a) == d2(i, b) && a < b);
    });
    nn[i].assign(order.begin(), order.begin() + k);
    sigma[i] = std::sqrt(d2(i, order[k - 1]));
  }
  const Eigen::MatrixXd dense = Eigen::MatrixXd(W);
  for (Eigen::Index i = 0; i < n; ++i) {
    for (Eigen::Index j = 0; j < n; ++j) {
      const bool edge = i != j && (std::count(nn[i].begin(), nn[i].end(), j) > 0 ||
                                   std::count(nn[j].begin(), nn[j].end(), i) > 0);
      const double expected = edge ? std::exp(-d2(i, j) / (sigma[i] * sigma[j])) : 0.0;
      EXPECT_NEAR(dense(i, j), expected, 1e-12) << i << "," << j;
    }
  }
  EXPECT_EQ((W - cp::Affinity(W.transpose())).norm(), 0.0);
}

TEST(KnnAffinity, EdgeCases) {
  EXPECT_THROW(cp::knn_affinity(cp::RowMatrixXf::Random(5, 2), 0), cp::InternalError);
  EXPECT_EQ(cp::knn_affinity(cp::RowMatrixXf::Random(1, 2), 3).nonZeros(), 0);
  // k beyond n - 1 is capped: the graph is complete.
  EXPECT_EQ(cp::knn_affinity(cp::RowMatrixXf::Random(4, 2), 10).nonZeros(), 12);
  // Duplicated points: sigma 0 is floored, weights stay finite.
  const cp::Affinity W = cp::knn_affinity(cp::RowMatrixXf::Zero(6, 3), 2);
  for (Eigen::Index i = 0; i < W.outerSize(); ++i) {
    for (cp::Affinity::InnerIterator it(W, i); it; ++it) EXPECT_DOUBLE_EQ(it.value(), 1.0);
  }
}

TEST(Spectral, SeparatesConcentricCirclesWhereKMeansFails) {
  const Points p = circles(300, 0.05, 2);
  const double km_ami = cp::adjusted_mutual_info(p.truth, cp::kmeans(p.X, km_params(2)).labels);
  EXPECT_LT(km_ami, 0.5);
  const Labels labels = cp::spectral_clustering(cp::knn_affinity(p.X, 10), 2, km_params(2));
  EXPECT_GT(cp::adjusted_mutual_info(p.truth, labels), 0.95);
}

TEST(Spectral, RecoversBlobs) {
  const Points p = blobs(4, 100, 5, 6.0, 4);
  const Labels labels = cp::spectral_clustering(cp::knn_affinity(p.X, 10), 4, km_params(4));
  EXPECT_GT(cp::adjusted_mutual_info(p.truth, labels), 0.95);
}

/// Planted-partition graph: `groups` x `size` vertices, unit edges with
/// probability p_in inside a group and p_out across; vertex ids are offset.
void add_planted(std::vector<Eigen::Triplet<double>>& t, Labels& truth, int groups, int size,
                 double p_in, double p_out, int offset, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const int n = groups * size;
  const int label0 = truth.empty() ? 0 : *std::max_element(truth.begin(), truth.end()) + 1;
  for (int i = 0; i < n; ++i) truth.push_back(label0 + i % groups);
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (u(rng) < (i % groups == j % groups ? p_in : p_out)) {
        t.emplace_back(offset + i, offset + j, 1.0);
        t.emplace_back(offset + j, offset + i, 1.0);
      }
    }
  }
}

cp::Affinity build(const std::vector<Eigen::Triplet<double>>& t, int n) {
  cp::Affinity W(n, n);
  W.setFromTriplets(t.begin(), t.end());
  return W;
}

TEST(Spectral, ConnectedGraphOnBothSolvers) {
  // One known eigenvector deflated, k - 1 computed: by the dense solver up to
  // 2000 vertices, by Lanczos beyond.
  for (const int size : {100, 600}) {
    std::vector<Eigen::Triplet<double>> t;
    Labels truth;
    add_planted(t, truth, 4, size, 18.0 / size, 0.3 / size, 0, 7);
    const Labels labels = cp::spectral_clustering(build(t, 4 * size), 4, km_params(4));
    EXPECT_GT(cp::adjusted_mutual_info(truth, labels), 0.95) << size;
  }
}

TEST(Spectral, FewerComponentsThanClusters) {
  // Two disconnected graphs of two groups each: two eigenvalues 1 are known,
  // Lanczos finds the other two on the deflated operator.
  std::vector<Eigen::Triplet<double>> t;
  Labels truth;
  add_planted(t, truth, 2, 600, 0.03, 0.001, 0, 8);
  add_planted(t, truth, 2, 600, 0.03, 0.001, 1200, 9);
  const Labels labels = cp::spectral_clustering(build(t, 2400), 4, km_params(4));
  EXPECT_GT(cp::adjusted_mutual_info(truth, labels), 0.95);
}

TEST(Spectral, RepeatedTopEigenvalueFromComponents) {
  // Far-apart blobs give k components, eigenvalue 1 k times: the clusters
  // are the components themselves, whichever solver would have run.
  const Points p = blobs(3, 900, 3, 40.0, 5);
  const Labels labels = cp::spectral_clustering(cp::knn_affinity(p.X, 10), 3, km_params(3));
  EXPECT_DOUBLE_EQ(cp::adjusted_mutual_info(p.truth, labels), 1.0);
  const Points q = circles(1200, 0.05, 6);
  const Labels ring = cp::spectral_clustering(cp::knn_affinity(q.X, 10), 2, km_params(2));
  EXPECT_GT(cp::adjusted_mutual_info(q.truth, ring), 0.95);
}

TEST(Spectral, MoreComponentsThanClusters) {
  // Five cliques of sizes 3, 6, 2, 5, 4 (in vertex order) and k = 3: the two
  // largest (6 and 5) are clusters 0 and 1, the other three form cluster 2.
  std::vector<Eigen::Triplet<double>> t;
  Labels expected;
  int base = 0;
  const std::vector<std::pair<int, std::int32_t>> cliques = {{3, 2}, {6, 0}, {2, 2}, {5, 1}, {4, 2}};
  for (const auto& [size, label] : cliques) {
    for (int i = 0; i < size; ++i) {
      expected.push_back(label);
      for (int j = 0; j < size; ++j) {
        if (i != j) t.emplace_back(base + i, base + j, 0.5);
      }
    }
    base += size;
  }
  EXPECT_EQ(cp::spectral_clustering(build(t, base), 3, km_params(3)), expected);
}

/// Two 4-cliques (vertices 0-3 and 4-7) and isolated vertices 8 and 9.
cp::Affinity two_cliques_and_isolated() {
  std::vector<Eigen::Triplet<double>> t;
  for (int base : {0, 4}) {
    for (int i = 0; i < 4; ++i) {
      for (int j = 0; j < 4; ++j) {
        if (i != j) t.emplace_back(base + i, base + j, 1.0);
      }
    }
  }
  t.emplace_back(3, 4, 0.01);  // a weak bridge
  t.emplace_back(4, 3, 0.01);
  cp::Affinity W(10, 10);
  W.setFromTriplets(t.begin(), t.end());
  return W;
}

TEST(Spectral, IsolatedVerticesJoinTheLargestClusterOrFillUnusedLabels) {
  const cp::Affinity W = two_cliques_and_isolated();
  const Labels two = cp::spectral_clustering(W, 2, km_params(2));
  for (int i = 1; i < 4; ++i) EXPECT_EQ(two[i], two[0]);
  for (int i = 5; i < 8; ++i) EXPECT_EQ(two[i], two[4]);
  EXPECT_NE(two[0], two[4]);
  // Equal sizes: the largest is the lowest label.
  EXPECT_EQ(two[8], 0);
  EXPECT_EQ(two[9], 0);

  // Fewer connected vertices than clusters: isolated vertices take the
  // unused labels first, in index order.
  std::vector<Eigen::Triplet<double>> t = {{0, 1, 1.0}, {1, 0, 1.0}};
  cp::Affinity pair(5, 5);
  pair.setFromTriplets(t.begin(), t.end());
  const Labels three = cp::spectral_clustering(pair, 3, km_params(3));
  EXPECT_EQ(std::set<std::int32_t>({three[0], three[1]}), (std::set<std::int32_t>{0, 1}));
  EXPECT_EQ(three[2], 2);
  EXPECT_EQ(three[3], 0);
  EXPECT_EQ(three[4], 0);

  // Only isolated vertices: labels 0..k-1 in order, the rest join cluster 0.
  const Labels lonely = cp::spectral_clustering(cp::Affinity(4, 4), 2, km_params(2));
  EXPECT_EQ(lonely, (Labels{0, 1, 0, 0}));
}

TEST(Spectral, InvalidInputThrows) {
  const cp::Affinity W = two_cliques_and_isolated();
  EXPECT_THROW(cp::spectral_clustering(W, 0, km_params(1)), cp::InternalError);
  EXPECT_THROW(cp::spectral_clustering(W, 11, km_params(1)), cp::InternalError);
  cp::Affinity negative = W;
  negative.coeffRef(0, 1) = -1.0;
  EXPECT_THROW(cp::spectral_clustering(negative, 2, km_params(2)), cp::InternalError);
}

}  // namespace
