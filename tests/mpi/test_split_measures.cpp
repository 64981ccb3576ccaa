// ranks: 2 4
// Preprocessing and label measures on rows split over the ranks (RowHolders,
// SumAcrossHolders) against the same functions on the whole matrix: every
// rank generates the same data, computes on all of it, and compares with the
// split result for its own block (rank 0 holds no rows in one case).
//  - center and the exact PCA (<= 2048 columns): the same up to the rounding
//    of the reduced sums;
//  - the randomized PCA (wider): the split holders orthonormalise through the
//    summed Gram (SVQB) instead of a Householder QR, so the scores agree to
//    float precision of the spectrum, and the whitened rows span the same
//    space (equal X_w X_w^T);
//  - subclass selectivity: equal to 1e-12.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/metrics/collapse.hpp"

namespace {

using cp::RowMatrixXf;

int rank() { return cp::comm_rank(MPI_COMM_WORLD); }
int size() { return cp::comm_size(MPI_COMM_WORLD); }

void sum_over_world(double* values, std::size_t count) {
  // Reduced on one rank and broadcast: the same bits everywhere.
  ASSERT_EQ(MPI_Reduce(rank() == 0 ? MPI_IN_PLACE : values, values, static_cast<int>(count), MPI_DOUBLE, MPI_SUM, 0,
                       MPI_COMM_WORLD),
            MPI_SUCCESS);
  ASSERT_EQ(MPI_Bcast(values, static_cast<int>(count), MPI_DOUBLE, 0, MPI_COMM_WORLD), MPI_SUCCESS);
}

cp::RowHolders world_holders(std::int64_t rows) { return cp::RowHolders{rows, sum_over_world}; }

/// Rows with a decaying spectrum (column scales 1/(j+1)) and a shift far from the origin.
RowMatrixXf data(int n, int dim, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf X(n, dim);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) X(i, j) = 5.0f + normal(rng) * 4.0f / static_cast<float>(j + 1);
  return X;
}

/// This rank's block [first, last): even, or with rank 0 empty.
std::pair<int, int> block(int n, bool first_empty) {
  const int p = first_empty ? size() - 1 : size(), r = first_empty ? rank() - 1 : rank();
  if (r < 0) return {0, 0};
  return {n * r / p, n * (r + 1) / p};
}

RowMatrixXf rows_of(const RowMatrixXf& X, std::pair<int, int> b) { return X.middleRows(b.first, b.second - b.first); }

/// Every rank's block gathered back into the whole matrix, in rank order.
RowMatrixXf gathered(const RowMatrixXf& mine, int cols) {
  const int count = static_cast<int>(mine.size());
  std::vector<int> counts(size()), displs(size(), 0);
  MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, MPI_COMM_WORLD);
  for (int r = 1; r < size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
  RowMatrixXf all((displs.back() + counts.back()) / cols, cols);
  MPI_Allgatherv(mine.data(), count, MPI_FLOAT, all.data(), counts.data(), displs.data(), MPI_FLOAT, MPI_COMM_WORLD);
  return all;
}

double max_abs(const RowMatrixXf& M) { return M.size() ? static_cast<double>(M.cwiseAbs().maxCoeff()) : 0.0; }

void expect_same_steps(const std::vector<std::string>& steps, int n, int dim, bool first_empty, double tolerance) {
  SCOPED_TRACE(std::to_string(n) + " x " + std::to_string(dim) + (first_empty ? ", rank 0 empty" : ""));
  const RowMatrixXf X = data(n, dim, 7);
  RowMatrixXf whole = X;
  cp::preprocess(whole, steps);
  const auto b = block(n, first_empty);
  RowMatrixXf mine = rows_of(X, b);
  cp::preprocess(mine, steps, world_holders(n));
  ASSERT_EQ(mine.cols(), whole.cols());
  const double scale = std::max(1.0, max_abs(whole));
  EXPECT_LE(max_abs(mine - rows_of(whole, b)), tolerance * scale);
}

TEST(SplitPreprocess, CenterAndExactPcaEqualWholeMatrix) {
  for (bool first_empty : {false, true}) {
    expect_same_steps({"center"}, 301, 24, first_empty, 1e-6);
    expect_same_steps({"center", "l2"}, 301, 24, first_empty, 1e-6);
    expect_same_steps({"pca:5"}, 301, 24, first_empty, 1e-5);
    expect_same_steps({"pca:0.9"}, 301, 24, first_empty, 1e-5);
    expect_same_steps({"whiten"}, 301, 24, first_empty, 1e-4);
  }
}

TEST(SplitPreprocess, RandomizedPcaAgreesWithWholeMatrix) {
  // Wider than kExactPcaMaxCols: the sketch, its power iterations, the SVQB.
  const int dim = static_cast<int>(cp::kExactPcaMaxCols) + 52;
  for (bool first_empty : {false, true}) expect_same_steps({"pca:4"}, 240, dim, first_empty, 1e-3);
}

TEST(SplitPreprocess, RandomizedWhiteningSpansTheSameSpace) {
  const int n = 160, dim = static_cast<int>(cp::kExactPcaMaxCols) + 10;
  const RowMatrixXf X = data(n, dim, 11);
  RowMatrixXf whole = X;
  cp::preprocess(whole, {"whiten"});
  RowMatrixXf mine = rows_of(X, block(n, false));
  cp::preprocess(mine, {"whiten"}, world_holders(n));
  const RowMatrixXf all = gathered(mine, static_cast<int>(mine.cols()));
  ASSERT_EQ(all.rows(), n);
  // Whitened rows: covariance identity, so X_w X_w^T is the projector onto the
  // centred row space times (n - 1), whatever basis each side chose.
  const Eigen::MatrixXd a = whole.cast<double>() * whole.cast<double>().transpose();
  const Eigen::MatrixXd b = all.cast<double>() * all.cast<double>().transpose();
  EXPECT_LE((a - b).cwiseAbs().maxCoeff(), 1e-3 * a.cwiseAbs().maxCoeff());
  const Eigen::MatrixXd cov = all.cast<double>().transpose() * all.cast<double>() / (n - 1);
  EXPECT_LE((cov - Eigen::MatrixXd::Identity(cov.rows(), cov.cols())).cwiseAbs().maxCoeff(), 1e-3);
}

TEST(SplitMeasures, SelectivityEqualsWholeMatrix) {
  const int n = 403, dim = 17;
  const RowMatrixXf X = data(n, dim, 3);
  std::vector<std::int32_t> fine(n), coarse(n);
  for (int i = 0; i < n; ++i) {
    fine[i] = (i * 7) % 6;
    coarse[i] = fine[i] / 2;
  }
  RowMatrixXf shifted = X;  // subclass 0 and 3 stand out on some neurons
  for (int i = 0; i < n; ++i)
    if (fine[i] % 3 == 0) shifted.row(i).head(4).array() += 2.0f;
  const double whole = cp::subclass_selectivity(shifted, fine, coarse);
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  for (int f = 0; f < 6; ++f) pairs.emplace_back(f / 2, f);
  for (bool first_empty : {false, true}) {
    const auto b = block(n, first_empty);
    const std::vector<std::int32_t> f(fine.begin() + b.first, fine.begin() + b.second),
        c(coarse.begin() + b.first, coarse.begin() + b.second);
    const double split = cp::subclass_selectivity(rows_of(shifted, b), f, c, pairs, sum_over_world);
    EXPECT_NEAR(split, whole, 1e-12 * std::max(1.0, std::abs(whole)));
  }
}

}  // namespace
