// The k-means inner kernels chosen at run time (src/cluster/dot_panel.hpp):
// the AVX-512 and AVX2 versions give the same bits, all agree with a double
// reference, the nearest centroid is the first of equal ones, and the row
// helpers match their scalar definitions.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "../../src/cluster/dot_panel.hpp"

namespace {

using cp::RowMatrixXf;
using cp::detail::DotKernel;
using cp::detail::DotPanel;

RowMatrixXf random_matrix(int rows, int cols, std::uint64_t seed, float offset = 0.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf m(rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) m(i, j) = offset + normal(rng);
  return m;
}

std::vector<DotKernel> kernels_here() {
  std::vector<DotKernel> out{DotKernel::eigen};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) out.push_back(DotKernel::avx2);
  if (__builtin_cpu_supports("avx512f")) out.push_back(DotKernel::avx512);
  return out;
}

// Widths around the vector widths, k from 1 to several tiles, a row count that
// leaves partial row tiles.
TEST(DotPanel, EveryKernelAgreesWithDoubleAndTheVectorOnesBitForBit) {
  for (const int d : {1, 7, 16, 37, 130}) {
    for (const int k : {1, 8, 10, 33, 100}) {
      SCOPED_TRACE("d=" + std::to_string(d) + " k=" + std::to_string(k));
      const RowMatrixXf X = random_matrix(203, d, 1 + d), C = random_matrix(k, d, 2 + k);
      const Eigen::MatrixXd exact = X.cast<double>() * C.cast<double>().transpose();
      RowMatrixXf first;
      for (const DotKernel kernel : kernels_here()) {
        SCOPED_TRACE(cp::detail::dot_kernel_name(kernel));
        const DotPanel panel(C, kernel);
        RowMatrixXf g;
        panel.dots(X, g);
        ASSERT_EQ(g.rows(), X.rows());
        ASSERT_GE(g.cols(), k);
        const double err = (g.leftCols(k).cast<double>() - exact).cwiseAbs().maxCoeff();
        EXPECT_LE(err, 1e-5 * std::sqrt(static_cast<double>(d)) * 4.0);
        if (kernel == DotKernel::eigen) continue;
        if (g.cols() > k) {
          EXPECT_EQ(g.rightCols(g.cols() - k).cwiseAbs().maxCoeff(), 0.0f) << "padding columns";
        }
        if (first.size() == 0) {
          first = g.leftCols(k);
        } else {
          EXPECT_TRUE(first == g.leftCols(k)) << "AVX2 and AVX-512 differ";
        }
      }
    }
  }
}

TEST(DotPanel, NearestIsTheFirstMinimumOfTheScores) {
  const int d = 21, k = 37;
  RowMatrixXf C = random_matrix(k, d, 3);
  C.row(30) = C.row(4);   // equal centroids: the first wins
  C.row(17) = C.row(33);
  RowMatrixXf X = random_matrix(500, d, 4);
  for (int i = 0; i < 50; ++i) X.row(i) = C.row(i % 2 ? 4 : 33);  // rows on the duplicated ones
  for (const DotKernel kernel : kernels_here()) {
    SCOPED_TRACE(cp::detail::dot_kernel_name(kernel));
    const DotPanel panel(C, kernel);
    RowMatrixXf g;
    panel.dots(X, g);
    std::vector<std::int32_t> labels(static_cast<std::size_t>(X.rows()) - 7);
    panel.nearest(g, 7, X.rows() - 7, labels.data());  // from an offset row, as assign() does
    const Eigen::VectorXf n2 = C.rowwise().squaredNorm();
    for (int i = 7; i < X.rows(); ++i) {
      int want = 0;
      float best = std::numeric_limits<float>::infinity();
      for (int j = 0; j < k; ++j) {
        const float s = n2[j] - 2.0f * g(i, j);
        if (s < best) best = s, want = j;
      }
      ASSERT_EQ(labels[i - 7], want) << "row " << i;
    }
    // Equal centroids get equal dots from the vector kernels (Eigen's GEMM
    // may round two columns differently), so the first of them wins.
    if (kernel == DotKernel::eigen) continue;
    for (int i = 7; i < 50; ++i) EXPECT_EQ(labels[i - 7], i % 2 ? 4 : 17) << "row " << i;
  }
}

TEST(DotPanel, RowHelpersMatchTheirDefinitions) {
  for (const int d : {0, 1, 15, 16, 17, 100, 513}) {
    const RowMatrixXf a = random_matrix(1, d, 5, 3.0f), b = random_matrix(1, d, 6);
    double exact = 0.0;
    for (int t = 0; t < d; ++t) exact += std::pow(static_cast<double>(a(0, t)) - b(0, t), 2);
    // One row against one centroid, with exact sums: what a Lloyd step does per row.
    const std::int32_t label = 0;
    float dist2 = -1.0f;
    Eigen::RowVectorXd sums = Eigen::RowVectorXd::Zero(d), unit = Eigen::RowVectorXd::Ones(d);
    const double total = cp::detail::finish_rows(a.data(), 1, d, b.data(), &label, &dist2, sums.data(), unit.data());
    EXPECT_NEAR(dist2, exact, 1e-5 * (exact + 1.0));
    EXPECT_EQ(total, static_cast<double>(dist2));
    for (int t = 0; t < d; ++t) ASSERT_EQ(sums[t], std::nearbyint(double(a(0, t)))) << t;
    Eigen::RowVectorXd acc = Eigen::RowVectorXd::Constant(d, 3.0), scale(d);
    for (int t = 0; t < d; ++t) scale[t] = std::ldexp(1.0, t % 40 - 10);
    cp::detail::add_rounded(acc.data(), b.data(), scale.data(), d);
    for (int t = 0; t < d; ++t) ASSERT_EQ(acc[t], 3.0 + std::nearbyint(double(b(0, t)) * scale[t])) << t;
  }
}

TEST(AllFinite, FindsNanAndInfinityAnywhere) {
  std::vector<float> v(1037, 1.0f);
  v[5] = FLT_MAX;
  v[6] = -FLT_MAX;
  EXPECT_TRUE(cp::all_finite(v.data(), v.size()));
  for (const float bad : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity()}) {
    for (const std::size_t at : {std::size_t{0}, std::size_t{517}, v.size() - 1}) {
      std::vector<float> w = v;
      w[at] = bad;
      EXPECT_FALSE(cp::all_finite(w.data(), w.size())) << at;
    }
  }
  EXPECT_TRUE(cp::all_finite(v.data(), 0));
}

}  // namespace
