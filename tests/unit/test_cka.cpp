// Linear and kernel CKA: a hand-computed case, the invariances CKA is known
// for (orthogonal transforms, isotropic scaling, translation), CKA(X, X) = 1,
// the Gram route (widths above the row count) against the definition, kernel
// CKA with linear kernels against linear CKA, and the sparse kernel overload
// against the dense one.
#include <gtest/gtest.h>

#include <Eigen/QR>
#include <Eigen/SparseCore>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/cka.hpp"

namespace {

using cp::RowMatrixXf;
using Sparse = Eigen::SparseMatrix<double, Eigen::RowMajor>;

RowMatrixXf random_matrix(int rows, int cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = normal(rng);
  return m;
}

/// The definition, straight from the formula, in double.
double reference_linear_cka(const RowMatrixXf& X, const RowMatrixXf& Y) {
  const Eigen::MatrixXd x = X.cast<double>().rowwise() - X.cast<double>().colwise().mean();
  const Eigen::MatrixXd y = Y.cast<double>().rowwise() - Y.cast<double>().colwise().mean();
  return (y.transpose() * x).squaredNorm() /
         ((x.transpose() * x).norm() * (y.transpose() * y).norm());
}

TEST(LinearCka, HandComputedCase) {
  // X = [[1,0],[0,1],[-1,0],[0,-1]] and Y = [1,1,-1,-1]^T are centred:
  //   X^T X = 2 I, ||X^T X||_F = sqrt(8);  Y^T Y = 4;
  //   Y^T X = [1+0+1+0, 0+1+0+1] = [2, 2], ||Y^T X||_F^2 = 8;
  //   CKA = 8 / (sqrt(8) * 4) = 1 / sqrt(2).
  RowMatrixXf X(4, 2), Y(4, 1);
  X << 1, 0, 0, 1, -1, 0, 0, -1;
  Y << 1, 1, -1, -1;
  EXPECT_NEAR(cp::linear_cka(X, Y), 1.0 / std::sqrt(2.0), 1e-12);
  // Translation does not matter: columns are centred.
  RowMatrixXf Xs = X, Ys = Y;
  Xs.col(0).array() += 5.0f;
  Xs.col(1).array() -= 3.0f;
  Ys.array() += 10.0f;
  EXPECT_NEAR(cp::linear_cka(Xs, Ys), 1.0 / std::sqrt(2.0), 1e-12);
  // One column each: CKA is the squared correlation. x = [1,2,3], y = [1,3,2]
  // centre to [-1,0,1] and [-1,1,0]: corr = 1 / 2, CKA = 1 / 4.
  RowMatrixXf a(3, 1), b(3, 1);
  a << 1, 2, 3;
  b << 1, 3, 2;
  EXPECT_NEAR(cp::linear_cka(a, b), 0.25, 1e-12);
}

TEST(LinearCka, InvariancesAndSelfSimilarity) {
  const RowMatrixXf X = random_matrix(60, 8, 1);
  RowMatrixXf Y = random_matrix(60, 5, 2);
  Y.leftCols(3) += X.leftCols(3);  // some shared structure, so CKA is not tiny
  const double base = cp::linear_cka(X, Y);
  EXPECT_NEAR(base, reference_linear_cka(X, Y), 1e-9);
  EXPECT_GT(base, 0.1);
  EXPECT_LT(base, 0.99);
  const Eigen::MatrixXf Q = Eigen::HouseholderQR<Eigen::MatrixXf>(random_matrix(8, 8, 3)).householderQ();
  EXPECT_NEAR(cp::linear_cka(RowMatrixXf(X * Q), Y), base, 1e-5);
  EXPECT_NEAR(cp::linear_cka(RowMatrixXf(3.7f * X), Y), base, 1e-6);
  EXPECT_NEAR(cp::linear_cka(X, RowMatrixXf(0.01f * Y)), base, 1e-6);
  EXPECT_NEAR(cp::linear_cka(X, Y), cp::linear_cka(Y, X), 1e-12);
  EXPECT_NEAR(cp::linear_cka(X, X), 1.0, 1e-12);
}

TEST(LinearCka, GramRouteForWideRepresentationsMatchesTheDefinition) {
  // Widths above the row count take the n x n route, tile by tile (600 rows:
  // two 512-row blocks, so an off-diagonal tile is counted twice).
  const RowMatrixXf X = random_matrix(600, 900, 4);
  RowMatrixXf Y = random_matrix(600, 700, 5);
  Y.leftCols(100) += 2.0f * X.leftCols(100);
  EXPECT_NEAR(cp::linear_cka(X, Y), reference_linear_cka(X, Y), 1e-9);
  EXPECT_NEAR(cp::linear_cka(X, X), 1.0, 1e-12);
}

TEST(LinearCka, DegenerateAndInvalidInputs) {
  const RowMatrixXf X = random_matrix(10, 3, 6);
  EXPECT_TRUE(std::isnan(cp::linear_cka(X, RowMatrixXf::Constant(10, 2, 4.0f))));  // no variance
  EXPECT_THROW(cp::linear_cka(X, random_matrix(9, 3, 7)), cp::InternalError);
  EXPECT_THROW(cp::linear_cka(X.topRows(1), X.topRows(1)), cp::InternalError);
  RowMatrixXf nan = X;
  nan(0, 0) = std::nanf("");
  EXPECT_THROW(cp::linear_cka(nan, X), cp::InternalError);
}

TEST(KernelCka, LinearKernelsGiveLinearCka) {
  const RowMatrixXf X = random_matrix(40, 6, 8);
  RowMatrixXf Y = random_matrix(40, 9, 9);
  Y.leftCols(2) -= X.leftCols(2);
  // Uncentred kernels on purpose: kernel_cka centres them (H K H).
  const Eigen::MatrixXd K = X.cast<double>() * X.cast<double>().transpose();
  const Eigen::MatrixXd L = Y.cast<double>() * Y.cast<double>().transpose();
  EXPECT_NEAR(cp::kernel_cka(K, L), cp::linear_cka(X, Y), 1e-9);
  EXPECT_NEAR(cp::kernel_cka(K, K), 1.0, 1e-12);
  EXPECT_NEAR(cp::kernel_cka(K, L), cp::kernel_cka(L, K), 1e-12);
  EXPECT_NEAR(cp::kernel_cka(Eigen::MatrixXd(5.0 * K), L), cp::kernel_cka(K, L), 1e-12);
}

/// A random sparse n x n matrix with about `per_row` entries per row;
/// symmetrised (W + W^T, as affinity graphs are) when asked.
Sparse random_sparse(int n, int per_row, bool symmetric, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> value(0.1, 2.0);
  std::vector<Eigen::Triplet<double>> entries;
  for (int i = 0; i < n; ++i) {
    for (int e = 0; e < per_row; ++e) entries.emplace_back(i, static_cast<int>(rng() % n), value(rng));
  }
  Sparse W(n, n);
  W.setFromTriplets(entries.begin(), entries.end());
  if (!symmetric) return W;
  Sparse S = Sparse(W.transpose()) + W;
  return S;
}

TEST(KernelCka, SparseOverloadEqualsDense) {
  for (const bool symmetric : {true, false}) {
    SCOPED_TRACE(symmetric ? "symmetric" : "not symmetric");
    const Sparse K = random_sparse(80, 6, symmetric, 10);
    const Sparse L = random_sparse(80, 4, symmetric, 11);
    const Eigen::MatrixXd Kd(K), Ld(L);
    EXPECT_NEAR(cp::kernel_cka(K, L), cp::kernel_cka(Kd, Ld), 1e-12);
    EXPECT_NEAR(cp::kernel_cka(K, K), cp::kernel_cka(Kd, Kd), 1e-12);
  }
  // A graph sharing half of its edges scores between the two extremes.
  const Sparse K = random_sparse(80, 6, true, 12);
  const Sparse L = Sparse(K + random_sparse(80, 6, true, 13));
  const double v = cp::kernel_cka(K, L);
  EXPECT_GT(v, 0.3);
  EXPECT_LT(v, 1.0);
}

TEST(KernelCka, DegenerateAndInvalidInputs) {
  const Eigen::MatrixXd ones = Eigen::MatrixXd::Ones(6, 6);  // centres to 0
  const Eigen::MatrixXd K = Eigen::MatrixXd::Identity(6, 6);
  EXPECT_TRUE(std::isnan(cp::kernel_cka(ones, K)));
  EXPECT_TRUE(std::isnan(cp::kernel_cka(Sparse(ones.sparseView()), Sparse(K.sparseView()))));
  EXPECT_THROW(cp::kernel_cka(K, Eigen::MatrixXd::Identity(5, 5)), cp::InternalError);
  EXPECT_THROW(cp::kernel_cka(Eigen::MatrixXd::Identity(6, 5), Eigen::MatrixXd::Identity(6, 5)),
               cp::InternalError);
  Sparse nan = Sparse(K.sparseView());
  nan.coeffRef(2, 2) = std::nan("");
  EXPECT_THROW(cp::kernel_cka(nan, Sparse(K.sparseView())), cp::InternalError);
}

}  // namespace
