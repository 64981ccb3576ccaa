// Preprocessing: step validation, whitening, PCA by count and by variance
// fraction, on both the exact and the randomized path.
#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <random>
#include <string>
#include <vector>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/common/error.hpp"

namespace {

using cp::RowMatrixXf;
using Eigen::MatrixXd;

MatrixXd gaussian(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  MatrixXd m(rows, cols);
  for (Eigen::Index i = 0; i < m.size(); ++i) m.data()[i] = normal(rng);
  return m;
}

/// Random orthonormal columns (rows x cols).
MatrixXd orthonormal(Eigen::Index rows, Eigen::Index cols, std::uint64_t seed) {
  const Eigen::HouseholderQR<MatrixXd> qr(gaussian(rows, cols, seed));
  return qr.householderQ() * MatrixXd::Identity(rows, cols);
}

/// Sample covariance (divisor rows - 1) of the rows of X.
MatrixXd covariance(const RowMatrixXf& X) {
  const MatrixXd x = X.cast<double>();
  const MatrixXd c = x.rowwise() - x.colwise().mean();
  return c.transpose() * c / static_cast<double>(X.rows() - 1);
}

/// Covariance eigenvalues of X, decreasing.
Eigen::VectorXd spectrum(const RowMatrixXf& X) {
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(covariance(X));
  return eig.eigenvalues().reverse();
}

/// Data with sample covariance spectrum exactly `variances` (plus zeros):
/// centred orthonormal scores scaled by sqrt((n - 1) lambda), rotated randomly.
RowMatrixXf with_spectrum(Eigen::Index rows, Eigen::Index cols, const std::vector<double>& variances,
                          std::uint64_t seed) {
  const Eigen::Index r = static_cast<Eigen::Index>(variances.size());
  MatrixXd z = gaussian(rows, r, seed);
  z.rowwise() -= z.colwise().mean();
  const Eigen::HouseholderQR<MatrixXd> qr(z);
  const MatrixXd scores = qr.householderQ() * MatrixXd::Identity(rows, r);  // centred, orthonormal
  Eigen::VectorXd scale(r);
  for (Eigen::Index i = 0; i < r; ++i) scale[i] = std::sqrt((rows - 1) * variances[i]);
  const MatrixXd x = scores * scale.asDiagonal() * orthonormal(cols, r, seed + 1).transpose();
  return (x.rowwise() + Eigen::RowVectorXd::Constant(cols, 3.0)).cast<float>();
}

TEST(PreprocessSteps, ValidStepsAreAccepted) {
  for (const char* step : {"center", "l2", "whiten", "pca:1", "pca:64", "pca:0.95", "pca:.5",
                           "pca:1e-1"}) {
    EXPECT_NO_THROW(cp::check_preprocess_step(step)) << step;
  }
}

TEST(PreprocessSteps, InvalidStepsAreConfigErrors) {
  for (const char* step : {"pca:0", "pca:1.5", "pca:abc", "pca:", "pca:1.0", "pca:-2", "pca:0.0",
                           "pca:nan", "pca:3x", "whitening", "PCA:3", ""}) {
    try {
      cp::check_preprocess_step(step);
      ADD_FAILURE() << "accepted '" << step << "'";
    } catch (const cp::ConfigError& e) {
      // The message names the step; the planning step puts file, line and key before it.
      EXPECT_NE(std::string(e.what()).find("step '" + std::string(step) + "'"), std::string::npos) << e.what();
    }
  }
}

TEST(PreprocessSteps, InvalidListLeavesDataUntouched) {
  RowMatrixXf X = RowMatrixXf::Random(5, 3);
  const RowMatrixXf before = X;
  EXPECT_THROW(cp::preprocess(X, {"center", "pca:2", "pca:1.5"}), cp::ConfigError);
  EXPECT_TRUE(X == before);
}

TEST(Whiten, CovarianceBecomesIdentity) {
  // Correlated full-rank data far from the origin.
  const MatrixXd mix = gaussian(10, 10, 7);
  RowMatrixXf X = ((gaussian(500, 10, 8) * mix).array() + 50.0).matrix().cast<float>();
  cp::preprocess(X, {"whiten"});
  ASSERT_EQ(X.cols(), 10);
  EXPECT_LT((covariance(X) - MatrixXd::Identity(10, 10)).cwiseAbs().maxCoeff(), 1e-4);
  EXPECT_LT(X.cast<double>().colwise().mean().cwiseAbs().maxCoeff(), 1e-5);
}

TEST(Whiten, DropsDirectionsWithoutVariance) {
  // Rank 6 in 10 columns: four directions have (numerically) zero variance.
  RowMatrixXf X = (gaussian(300, 6, 9) * gaussian(6, 10, 10)).cast<float>();
  cp::preprocess(X, {"whiten"});
  ASSERT_EQ(X.cols(), 6);
  EXPECT_LT((covariance(X) - MatrixXd::Identity(6, 6)).cwiseAbs().maxCoeff(), 1e-4);
}

TEST(Whiten, ConstantDataStayCentred) {
  RowMatrixXf X = RowMatrixXf::Constant(4, 3, 2.5f);
  cp::preprocess(X, {"whiten"});
  EXPECT_EQ(X.cols(), 3);
  EXPECT_TRUE(X.isZero(0.0f));
}

TEST(Pca, CountGivesTopComponents) {
  const RowMatrixXf X0 = (gaussian(400, 20, 11) * gaussian(20, 20, 12)).cast<float>();
  const Eigen::VectorXd lambda = spectrum(X0);
  RowMatrixXf X = X0;
  cp::preprocess(X, {"pca:5"});
  ASSERT_EQ(X.rows(), 400);
  ASSERT_EQ(X.cols(), 5);
  const MatrixXd cov = covariance(X);
  for (int i = 0; i < 5; ++i) {
    // Explained variance of score i = i-th largest covariance eigenvalue.
    EXPECT_NEAR(cov(i, i), lambda[i], 1e-4 * lambda[0]) << i;
    for (int j = 0; j < i; ++j) EXPECT_NEAR(cov(i, j), 0.0, 1e-4 * lambda[0]);
  }
  RowMatrixXf again = X0;
  cp::preprocess(again, {"pca:5"});
  EXPECT_TRUE(again == X) << "PCA must be deterministic (sign convention included)";
}

TEST(Pca, CountIsCappedAtMinRowsCols) {
  RowMatrixXf wide = gaussian(10, 20, 13).cast<float>();
  cp::preprocess(wide, {"pca:15"});
  EXPECT_EQ(wide.cols(), 10);
  RowMatrixXf tall = gaussian(50, 8, 14).cast<float>();
  cp::preprocess(tall, {"pca:100"});
  EXPECT_EQ(tall.cols(), 8);
}

TEST(Pca, FractionPicksTheSmallestSufficientCount) {
  // Variances 40, 30, 20, 5, 3, 2 (total 100): cumulative 0.40, 0.70, 0.90,
  // 0.95, 0.98, 1.00.
  const RowMatrixXf X0 = with_spectrum(300, 12, {40, 30, 20, 5, 3, 2}, 15);
  const std::vector<std::pair<std::string, Eigen::Index>> cases = {
      {"pca:0.3", 1}, {"pca:0.65", 2}, {"pca:0.85", 3}, {"pca:0.91", 4}, {"pca:0.97", 5},
      {"pca:0.99", 6}};
  for (const auto& [step, expected] : cases) {
    RowMatrixXf X = X0;
    cp::preprocess(X, {step});
    EXPECT_EQ(X.cols(), expected) << step;
  }
}

TEST(Pca, RandomizedPathMatchesExactSingularValues) {
  // 500 x 3000, rank 20 with decaying singular values, plus small noise.
  const Eigen::Index n = 500, d = 3000;
  ASSERT_GT(d, cp::kExactPcaMaxCols);
  Eigen::VectorXd s(20);
  for (int i = 0; i < 20; ++i) s[i] = 100.0 * std::pow(0.8, i);
  const MatrixXd x = orthonormal(n, 20, 16) * s.asDiagonal() * orthonormal(d, 20, 17).transpose() +
                     0.01 * gaussian(n, d, 18);
  const RowMatrixXf X0 = x.cast<float>();

  // Exact singular values of the centred data from the n x n Gram matrix.
  const MatrixXd xc = x.rowwise() - x.colwise().mean();
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(xc * xc.transpose());
  const Eigen::VectorXd exact = eig.eigenvalues().reverse().cwiseMax(0.0).cwiseSqrt();

  RowMatrixXf X = X0;
  const cp::Pca pca = cp::principal_components(X, {cp::PcaKeep::Rule::count, 10});
  EXPECT_TRUE(pca.randomized);
  ASSERT_EQ(pca.variance.size(), 10);
  for (int i = 0; i < 10; ++i) {
    const double sv = std::sqrt(pca.variance[i] * (n - 1));
    EXPECT_NEAR(sv, exact[i], 1e-3 * exact[i]) << i;
  }
  // The projection's column variances are those singular values too.
  RowMatrixXf P = X0;
  cp::preprocess(P, {"pca:10"});
  ASSERT_EQ(P.cols(), 10);
  const MatrixXd cov = covariance(P);
  for (int i = 0; i < 10; ++i) EXPECT_NEAR(std::sqrt(cov(i, i) * (n - 1)), exact[i], 1e-3 * exact[i]);

  // Fraction rule: the count exact eigenvalues give.
  const double total = exact.squaredNorm();
  double sum = 0;
  Eigen::Index want = 0;
  while (sum < 0.9 * total) sum += exact[want] * exact[want], ++want;
  RowMatrixXf F = X0;
  cp::preprocess(F, {"pca:0.9"});
  EXPECT_EQ(F.cols(), want);
}

TEST(Pca, RandomizedWhiteningFindsTheRank) {
  // Rank 20 without noise in 2100 columns: the full-rank sketch finds 20
  // directions; float rounding in the others stays below the 1e-10 cut.
  RowMatrixXf X = (gaussian(300, 20, 19) * gaussian(20, 2100, 20)).cast<float>();
  cp::preprocess(X, {"whiten"});
  ASSERT_EQ(X.cols(), 20);
  EXPECT_LT((covariance(X) - MatrixXd::Identity(20, 20)).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(Pca, StepsComposeInOrder) {
  RowMatrixXf X = gaussian(100, 30, 21).cast<float>();
  cp::preprocess(X, {"center", "pca:4", "l2"});
  ASSERT_EQ(X.cols(), 4);
  for (Eigen::Index i = 0; i < X.rows(); ++i) EXPECT_NEAR(X.row(i).norm(), 1.0f, 1e-5f);
}

}  // namespace
