// SSC by orthogonal matching pursuit (You, Robinson & Vidal, CVPR 2016).
//
// Points are processed in blocks: the residuals of a block's unfinished
// points form a matrix R, and one float GEMM R Y^T per column block gives
// every correlation <r_i, y_j> at once, so a step of the pursuit costs a
// GEMM instead of n dot products per point. The least-squares refit on the
// (at most omp_sparsity) chosen points runs in double by column-pivoting QR.
// Blocks are independent, so OpenMP threads share them and every point's
// result is the same whatever the number of threads.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <Eigen/QR>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kPointBlock = 128;  // points pursued together
constexpr Index kColBlock = 4096;   // 128 x 4096 floats = 2 MB of correlations per thread
/// A residual this orthogonal to every point cannot pick a meaningful next
/// point (rows have norm 1; float correlations carry ~1e-7 relative error).
constexpr float kNoCorrelation = 1e-6f;

/// One point's pursuit: chosen points, their coefficients, the residual.
struct Pursuit {
  std::vector<std::int32_t> support;
  Eigen::VectorXd coef;
  Eigen::VectorXf residual;
  bool done = false;
};

/// Least squares of y on the chosen rows of Y; updates coef and residual.
void refit(const RowMatrixXf& Y, Index i, Pursuit& p) {
  const Index d = Y.cols();
  const Index t = static_cast<Index>(p.support.size());
  Eigen::MatrixXd atoms(d, t);
  for (Index s = 0; s < t; ++s) atoms.col(s) = Y.row(p.support[s]).transpose().cast<double>();
  const Eigen::VectorXd y = Y.row(i).transpose().cast<double>();
  p.coef = atoms.colPivHouseholderQr().solve(y);
  p.residual = (y - atoms * p.coef).cast<float>();
}

/// Index of the point most correlated with each active residual, over all
/// points not yet chosen and not the point itself; -1 when none correlates.
std::vector<std::int32_t> best_atoms(const RowMatrixXf& Y, Index r0,
                                     const std::vector<Index>& active,
                                     const std::vector<Pursuit>& block, RowMatrixXf& corr) {
  const Index n = Y.rows();
  const Index a = static_cast<Index>(active.size());
  RowMatrixXf R(a, Y.cols());
  for (Index k = 0; k < a; ++k) R.row(k) = block[active[k]].residual.transpose();
  std::vector<float> best(static_cast<std::size_t>(a), kNoCorrelation);
  std::vector<std::int32_t> arg(static_cast<std::size_t>(a), -1);
  for (Index c0 = 0; c0 < n; c0 += kColBlock) {
    const Index cols = std::min(kColBlock, n - c0);
    corr.noalias() = R * Y.middleRows(c0, cols).transpose();
    for (Index k = 0; k < a; ++k) {
      const Pursuit& p = block[active[k]];
      const Index self = r0 + active[k];
      for (Index j = 0; j < cols; ++j) {
        const float v = std::abs(corr(k, j));
        // Strict > keeps the lowest index among ties.
        if (v > best[k] && c0 + j != self &&
            std::find(p.support.begin(), p.support.end(), c0 + j) == p.support.end()) {
          best[k] = v;
          arg[k] = static_cast<std::int32_t>(c0 + j);
        }
      }
    }
  }
  return arg;
}

/// Runs the pursuit of points [r0, r0 + rows) and appends their coefficients.
void pursue_block(const RowMatrixXf& Y, Index r0, Index rows, Index max_support,
                  double residual_tol, std::vector<Eigen::Triplet<double>>& out) {
  std::vector<Pursuit> block(static_cast<std::size_t>(rows));
  for (Index k = 0; k < rows; ++k) {
    block[k].residual = Y.row(r0 + k).transpose();
    // A zero row (no direction) or a point already within tolerance needs no one.
    block[k].done = max_support == 0 || block[k].residual.cast<double>().norm() < residual_tol;
  }
  RowMatrixXf corr;
  for (Index step = 0; step < max_support; ++step) {
    std::vector<Index> active;
    for (Index k = 0; k < rows; ++k) {
      if (!block[k].done) active.push_back(k);
    }
    if (active.empty()) break;
    const std::vector<std::int32_t> arg = best_atoms(Y, r0, active, block, corr);
    for (std::size_t a = 0; a < active.size(); ++a) {
      Pursuit& p = block[active[a]];
      if (arg[a] < 0) {
        p.done = true;
        continue;
      }
      p.support.push_back(arg[a]);
      refit(Y, r0 + active[a], p);
      const bool full = static_cast<Index>(p.support.size()) >= max_support;
      p.done = full || p.residual.cast<double>().norm() < residual_tol;
    }
  }
  for (Index k = 0; k < rows; ++k) {
    const Pursuit& p = block[k];
    for (std::size_t s = 0; s < p.support.size(); ++s) {
      if (p.coef[s] != 0.0) out.emplace_back(static_cast<int>(r0 + k), p.support[s], p.coef[s]);
    }
  }
}

}  // namespace

Affinity ssc_omp(const RowMatrixXf& X, const SscParams& params) {
  CP_ASSERT(params.omp_sparsity >= 1, "omp_sparsity = " + std::to_string(params.omp_sparsity));
  CP_ASSERT(params.omp_residual >= 0.0, "omp_residual = " + std::to_string(params.omp_residual));
  CP_ASSERT(X.allFinite(), "the data contain NaN or infinite values");
  const Index n = X.rows();
  CP_ASSERT(n <= std::numeric_limits<std::int32_t>::max(), "too many rows");
  RowMatrixXf Y = X;
  preprocess(Y, {"l2"});
  // More points than dimensions (or than other points) cannot reduce the residual further.
  const Index max_support =
      std::min<Index>({static_cast<Index>(params.omp_sparsity), Y.cols(), std::max<Index>(n - 1, 0)});
  const Index blocks = (n + kPointBlock - 1) / kPointBlock;
  std::vector<std::vector<Eigen::Triplet<double>>> per_block(static_cast<std::size_t>(blocks));
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1)
#endif
  for (Index b = 0; b < blocks; ++b) {
    const Index r0 = b * kPointBlock;
    pursue_block(Y, r0, std::min(kPointBlock, n - r0), max_support, params.omp_residual,
                 per_block[static_cast<std::size_t>(b)]);
  }
  std::vector<Eigen::Triplet<double>> triplets;
  for (const auto& t : per_block) triplets.insert(triplets.end(), t.begin(), t.end());
  Affinity C(n, n);
  C.setFromTriplets(triplets.begin(), triplets.end());
  return symmetric_abs(C);
}

}  // namespace cp
