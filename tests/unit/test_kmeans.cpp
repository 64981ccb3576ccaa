// k-means and preprocessing. No test depends on the order of cluster ids.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;

struct Blobs {
  cp::RowMatrixXf X;
  Labels truth;
};

/// `k` Gaussian blobs (unit variance) whose centres are `spread` apart per
/// coordinate, all shifted by `offset` (data far from the origin, like ReLU
/// activations, stress the ||x||^2 - 2x.c + ||c||^2 expansion).
Blobs make_blobs(int k, int per_cluster, int dim, float spread, float offset,
                 std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  cp::RowMatrixXf centres(k, dim);
  for (int c = 0; c < k; ++c) {
    for (int j = 0; j < dim; ++j) centres(c, j) = offset + spread * normal(rng);
  }
  Blobs b;
  b.X.resize(k * per_cluster, dim);
  // Interleaved so that cluster ids are not contiguous row ranges.
  for (int i = 0; i < k * per_cluster; ++i) {
    const int c = i % k;
    b.truth.push_back(c);
    for (int j = 0; j < dim; ++j) b.X(i, j) = centres(c, j) + normal(rng);
  }
  return b;
}

double inertia_of(const cp::RowMatrixXf& X, const cp::RowMatrixXf& C, const Labels& labels) {
  double s = 0;
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    s += (X.row(i).cast<double>() - C.row(labels[i]).cast<double>()).squaredNorm();
  }
  return s;
}

cp::KMeansParams params(int k, int restarts, std::uint64_t seed) {
  cp::KMeansParams p;
  p.k = k;
  p.restarts = restarts;
  p.seed = seed;
  return p;
}

TEST(KMeans, SeparatedBlobsRecoveredExactly) {
  for (const float offset : {0.0f, 1000.0f}) {
    const Blobs b = make_blobs(6, 80, 16, 10.0f, offset, 1);
    const cp::KMeansResult r = cp::kmeans(b.X, params(6, 4, 42));
    ASSERT_EQ(r.labels.size(), b.truth.size());
    EXPECT_EQ(r.centroids.rows(), 6);
    EXPECT_EQ(r.centroids.cols(), 16);
    EXPECT_DOUBLE_EQ(cp::adjusted_mutual_info(b.truth, r.labels), 1.0) << "offset " << offset;
    EXPECT_DOUBLE_EQ(cp::matched_accuracy(b.truth, r.labels), 1.0) << "offset " << offset;
    EXPECT_GE(r.iterations, 1);
    EXPECT_NEAR(r.inertia, inertia_of(b.X, r.centroids, r.labels), 1e-4 * r.inertia);
  }
}

TEST(KMeans, RestartsNeverWorsenInertia) {
  // Overlapping blobs: restarts land in different local minima.
  const Blobs b = make_blobs(8, 40, 5, 1.5f, 0.0f, 2);
  for (std::uint64_t seed : {1u, 2u, 3u, 4u, 5u}) {
    const double one = cp::kmeans(b.X, params(8, 1, seed)).inertia;
    const double many = cp::kmeans(b.X, params(8, 6, seed)).inertia;
    EXPECT_LE(many, one) << "seed " << seed;
  }
}

TEST(KMeans, DeterministicForFixedSeed) {
  const Blobs b = make_blobs(5, 60, 10, 2.0f, 3.0f, 3);
  const cp::KMeansResult a = cp::kmeans(b.X, params(5, 3, 99));
  const cp::KMeansResult c = cp::kmeans(b.X, params(5, 3, 99));
  EXPECT_EQ(a.labels, c.labels);
  EXPECT_EQ(a.inertia, c.inertia);
  EXPECT_EQ(a.iterations, c.iterations);
  EXPECT_TRUE(a.centroids == c.centroids);
}

TEST(KMeans, LabelsAgreeWithAssignNearest) {
  for (std::uint64_t seed : {4u, 5u}) {
    const Blobs b = make_blobs(7, 50, 12, 1.0f, 50.0f, seed);
    const cp::KMeansResult r = cp::kmeans(b.X, params(7, 2, seed));
    EXPECT_EQ(cp::assign_nearest(b.X, r.centroids), r.labels);
  }
}

TEST(KMeans, KEqualsRows) {
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  cp::RowMatrixXf X(12, 3);
  for (Eigen::Index i = 0; i < X.size(); ++i) X.data()[i] = u(rng);
  const cp::KMeansResult r = cp::kmeans(X, params(12, 2, 1));
  EXPECT_NEAR(r.inertia, 0.0, 1e-9);
  EXPECT_EQ(std::set<std::int32_t>(r.labels.begin(), r.labels.end()).size(), 12u);
  const cp::KMeansResult one = cp::kmeans(X.topRows(1), params(1, 1, 1));
  EXPECT_EQ(one.labels, Labels{0});
  EXPECT_NEAR(one.inertia, 0.0, 1e-12);
}

TEST(KMeans, EmptyClustersFromDuplicatePoints) {
  // Two distinct points, ten copies each, k = 3: seeding must repeat a centre,
  // Lloyd then sees an empty cluster and re-seeds it from the farthest rows.
  cp::RowMatrixXf X(20, 2);
  for (int i = 0; i < 20; ++i) {
    X(i, 0) = i % 2 ? 5.0f : -1.0f;
    X(i, 1) = i % 2 ? 2.0f : 0.5f;
  }
  const cp::KMeansResult r = cp::kmeans(X, params(3, 3, 8));
  EXPECT_TRUE(r.centroids.allFinite());
  EXPECT_NEAR(r.inertia, 0.0, 1e-9);
  for (int i = 0; i < 20; ++i) {
    ASSERT_GE(r.labels[i], 0);
    ASSERT_LT(r.labels[i], 3);
    EXPECT_EQ(r.labels[i], r.labels[i % 2]) << "copies of one point split";
  }
  EXPECT_NE(r.labels[0], r.labels[1]);

  // All rows identical: every centre coincides, nothing may become NaN.
  const cp::RowMatrixXf same = cp::RowMatrixXf::Constant(9, 4, 2.5f);
  const cp::KMeansResult s = cp::kmeans(same, params(4, 2, 1));
  EXPECT_TRUE(s.centroids.allFinite());
  EXPECT_TRUE(s.centroids.isApproxToConstant(2.5f));
  EXPECT_NEAR(s.inertia, 0.0, 1e-9);
}

TEST(KMeans, EachEqualsOneCallEach) {
  // Problems of different sizes (some restarts side by side, some not), run
  // as one pool of restarts: every result equals its own kmeans() call.
  std::vector<Blobs> blobs;
  std::vector<cp::KMeansParams> p;
  for (int i = 0; i < 4; ++i) {
    blobs.push_back(make_blobs(2 + i, 30 + 40 * i, 3 + 5 * i, 1.0f + i, 2.0f * i, 10 + i));
    p.push_back(params(2 + i, 1 + i, 20 + i));
  }
  std::vector<const cp::RowMatrixXf*> X;
  for (const auto& b : blobs) X.push_back(&b.X);
  const auto each = cp::kmeans_each(X, p);
  ASSERT_EQ(each.size(), blobs.size());
  for (std::size_t i = 0; i < blobs.size(); ++i) {
    const auto one = cp::kmeans(blobs[i].X, p[i]);
    EXPECT_EQ(each[i].labels, one.labels) << i;
    EXPECT_EQ(each[i].inertia, one.inertia) << i;
    EXPECT_EQ(each[i].iterations, one.iterations) << i;
    EXPECT_TRUE(each[i].centroids == one.centroids) << i;
  }
  p[2].k = 10000;
  EXPECT_THROW(cp::kmeans_each(X, p), cp::InternalError);
}

TEST(KMeans, KOutOfRangeThrows) {
  const Blobs b = make_blobs(2, 5, 3, 5.0f, 0.0f, 7);
  EXPECT_THROW(cp::kmeans(b.X, params(0, 1, 1)), cp::InternalError);
  EXPECT_THROW(cp::kmeans(b.X, params(11, 1, 1)), cp::InternalError);
  EXPECT_THROW(cp::kmeans(cp::RowMatrixXf(0, 3), params(1, 1, 1)), cp::InternalError);
}

TEST(Preprocess, CenterAndL2) {
  cp::RowMatrixXf X(4, 3);
  X << 1, 2, 3,  //
      4, 5, 6,   //
      7, 8, 10,  //
      0, 1, 1;
  cp::RowMatrixXf c = X;
  cp::preprocess(c, {"center"});
  const Eigen::RowVectorXf mean = X.colwise().mean();
  EXPECT_TRUE(c.isApprox(X.rowwise() - mean));
  EXPECT_LT(c.colwise().sum().cwiseAbs().maxCoeff(), 1e-5f);

  cp::RowMatrixXf l = X;
  l.row(3).setZero();
  cp::preprocess(l, {"l2"});
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(l.row(i).norm(), 1.0f, 1e-6f);
    EXPECT_TRUE(l.row(i).isApprox(X.row(i) / X.row(i).norm()));
  }
  EXPECT_TRUE(l.row(3).isZero(0.0f)) << "a zero row must stay zero, not NaN";

  // Steps apply in order: centre then normalise leaves unit rows.
  cp::RowMatrixXf both = X;
  cp::preprocess(both, {"center", "l2"});
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(both.row(i).norm(), 1.0f, 1e-6f);
  cp::RowMatrixXf none = X;
  cp::preprocess(none, {});
  EXPECT_TRUE(none == X);
}

TEST(Preprocess, UnknownStepIsAConfigError) {
  cp::RowMatrixXf X = cp::RowMatrixXf::Constant(2, 2, 3.0f);
  const cp::RowMatrixXf before = X;
  try {
    cp::preprocess(X, {"center", "sphere"});
    FAIL() << "expected ConfigError";
  } catch (const cp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "unknown step 'sphere' (known: center, l2, whiten, pca:<n>, "
              "pca:<fraction>)");
  }
  EXPECT_TRUE(X == before) << "a rejected step list must leave the data untouched";
}

}  // namespace
