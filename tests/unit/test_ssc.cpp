// Sparse subspace clustering: ADMM and OMP affinities on a union of
// subspaces, clustered spectrally. No test depends on the order of cluster ids.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <cstdint>
#include <random>
#include <vector>

#include "clusterprobe/cluster/community.hpp"
#include "clusterprobe/cluster/spectral.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;

struct Subspaces {
  cp::RowMatrixXf X;
  Labels truth;
};

/// `count` random `dim`-dimensional linear subspaces of R^ambient, `per`
/// points each (Gaussian coefficients), plus isotropic noise of norm ~noise.
/// Rows are interleaved so that classes are not contiguous.
Subspaces union_of_subspaces(int count, int dim, int ambient, int per, double noise,
                             std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto gauss = [&](Eigen::Index r, Eigen::Index c) {
    Eigen::MatrixXd m(r, c);
    for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
    return m;
  };
  std::vector<Eigen::MatrixXd> bases;
  for (int s = 0; s < count; ++s) {
    const Eigen::HouseholderQR<Eigen::MatrixXd> qr(gauss(ambient, dim));
    bases.push_back(qr.householderQ() * Eigen::MatrixXd::Identity(ambient, dim));
  }
  Subspaces out;
  out.X.resize(count * per, ambient);
  for (int i = 0; i < count * per; ++i) {
    const int s = i % count;
    Eigen::VectorXd x = bases[s] * gauss(dim, 1);
    x.normalize();
    x += noise / std::sqrt(static_cast<double>(ambient)) * gauss(ambient, 1);
    out.X.row(i) = x.transpose().cast<float>();
    out.truth.push_back(s);
  }
  return out;
}

/// Symmetric, non-negative, no diagonal entries, finite.
void expect_valid_affinity(const cp::Affinity& W, Eigen::Index n) {
  ASSERT_EQ(W.rows(), n);
  ASSERT_EQ(W.cols(), n);
  const cp::Affinity Wt = W.transpose();
  EXPECT_EQ((W - Wt).norm(), 0.0) << "affinity must be exactly symmetric";
  for (Eigen::Index i = 0; i < n; ++i) {
    for (cp::Affinity::InnerIterator it(W, i); it; ++it) {
      EXPECT_NE(it.col(), i) << "diagonal entry at " << i;
      EXPECT_GT(it.value(), 0.0);
      EXPECT_TRUE(std::isfinite(it.value()));
    }
  }
}

double spectral_ami(const cp::Affinity& W, int k, const Labels& truth) {
  cp::KMeansParams km;
  km.seed = 7;
  return cp::adjusted_mutual_info(truth, cp::spectral_clustering(W, k, km));
}

TEST(SscAdmm, RecoversUnionOfSubspaces) {
  const Subspaces data = union_of_subspaces(3, 4, 30, 100, 0.01, 1);
  const cp::Affinity W = cp::ssc_admm(data.X, cp::SscParams{});
  expect_valid_affinity(W, data.X.rows());
  EXPECT_GT(cp::class_affinity_ratio(W, data.truth), 0.9);
  EXPECT_GT(spectral_ami(W, 3, data.truth), 0.95);
  // Sparse: each point uses a few others, not all 299.
  EXPECT_LT(W.nonZeros(), data.X.rows() * data.X.rows() / 4);
}

TEST(SscAdmm, BothResolventPathsAgree) {
  // d < n/2 uses the Woodbury identity, d >= n/2 the explicit inverse. Zero
  // columns change d but not a single inner product, so both must give the
  // same coefficients up to rounding.
  const Subspaces data = union_of_subspaces(3, 3, 20, 20, 0.01, 2);
  cp::RowMatrixXf padded = cp::RowMatrixXf::Zero(data.X.rows(), 40);
  padded.leftCols(20) = data.X;
  const Eigen::MatrixXd woodbury = Eigen::MatrixXd(cp::ssc_admm(data.X, {}));
  const Eigen::MatrixXd dense = Eigen::MatrixXd(cp::ssc_admm(padded, {}));
  EXPECT_LT((woodbury - dense).norm(), 1e-6 * woodbury.norm());
  EXPECT_GT(cp::class_affinity_ratio(cp::ssc_admm(padded, {}), data.truth), 0.9);
}

TEST(SscOmp, RecoversUnionOfSubspaces) {
  const Subspaces data = union_of_subspaces(3, 4, 30, 400, 0.01, 3);
  const cp::Affinity W = cp::ssc_omp(data.X, cp::SscParams{});
  expect_valid_affinity(W, data.X.rows());
  EXPECT_GT(cp::class_affinity_ratio(W, data.truth), 0.9);
  EXPECT_GT(spectral_ami(W, 3, data.truth), 0.95);
  // At most omp_sparsity coefficients per point, so at most 2 * 8 * n entries.
  EXPECT_LE(W.nonZeros(), 2 * 8 * data.X.rows());
}

TEST(SscOmp, ExactSubspacesStopEarly) {
  // Noise-free 2-D subspaces: two other points reproduce each point exactly,
  // so the residual rule stops the pursuit at two coefficients.
  const Subspaces data = union_of_subspaces(2, 2, 10, 30, 0.0, 4);
  cp::SscParams p;
  p.omp_residual = 1e-4;
  const cp::Affinity W = cp::ssc_omp(data.X, p);
  expect_valid_affinity(W, data.X.rows());
  EXPECT_DOUBLE_EQ(cp::class_affinity_ratio(W, data.truth), 1.0);
  EXPECT_LE(W.nonZeros(), 2 * 2 * data.X.rows());
}

TEST(Ssc, ZeroRowsBecomeIsolatedVertices) {
  Subspaces data = union_of_subspaces(2, 2, 10, 20, 0.01, 5);
  data.X.row(3).setZero();
  for (const bool admm : {true, false}) {
    const cp::Affinity W = admm ? cp::ssc_admm(data.X, {}) : cp::ssc_omp(data.X, {});
    expect_valid_affinity(W, data.X.rows());
    const cp::Affinity Wt = W.transpose();
    EXPECT_EQ(W.row(3).nonZeros() + Wt.row(3).nonZeros(), 0) << (admm ? "admm" : "omp");
  }
}

TEST(Ssc, AffinityDispatchesOnSize) {
  const Subspaces data = union_of_subspaces(2, 2, 10, 20, 0.01, 6);
  cp::SscParams p;
  p.admm_max_points = 40;
  EXPECT_TRUE(cp::ssc_affinity(data.X, p).isApprox(cp::ssc_admm(data.X, p)));
  p.admm_max_points = 39;
  EXPECT_TRUE(cp::ssc_affinity(data.X, p).isApprox(cp::ssc_omp(data.X, p)));
}

TEST(Ssc, InvalidInputThrows) {
  cp::RowMatrixXf X = cp::RowMatrixXf::Random(10, 3);
  X(2, 1) = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(cp::ssc_admm(X, {}), cp::InternalError);
  EXPECT_THROW(cp::ssc_omp(X, {}), cp::InternalError);
  cp::SscParams p;
  p.omp_sparsity = 0;
  EXPECT_THROW(cp::ssc_omp(cp::RowMatrixXf::Random(10, 3), p), cp::InternalError);
}

}  // namespace
