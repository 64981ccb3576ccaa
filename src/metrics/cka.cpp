// Centered kernel alignment (see the header for the definitions).
#include "clusterprobe/metrics/cka.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>
#include <utility>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kBlock = 512;  // rows converted to double at a time
const double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den > 0.0 ? num / den : kNaN; }

/// Rows [r0, r0 + rows) of X in double, centred.
void load(const RowMatrixXf& X, const Eigen::RowVectorXd& mean, Index r0, Index rows,
          RowMatrixXd& out) {
  out = X.middleRows(r0, rows).cast<double>().rowwise() - mean;
}

/// Feature space: the d x d cross products, accumulated over row blocks.
double linear_cka_features(const RowMatrixXf& X, const RowMatrixXf& Y,
                           const Eigen::RowVectorXd& mx, const Eigen::RowVectorXd& my) {
  RowMatrixXd xx = RowMatrixXd::Zero(X.cols(), X.cols());
  RowMatrixXd yy = RowMatrixXd::Zero(Y.cols(), Y.cols());
  RowMatrixXd yx = RowMatrixXd::Zero(Y.cols(), X.cols());
  RowMatrixXd xb, yb;
  for (Index r0 = 0; r0 < X.rows(); r0 += kBlock) {
    const Index rows = std::min(kBlock, X.rows() - r0);
    load(X, mx, r0, rows, xb);
    load(Y, my, r0, rows, yb);
    xx.noalias() += xb.transpose() * xb;
    yy.noalias() += yb.transpose() * yb;
    yx.noalias() += yb.transpose() * xb;
  }
  return ratio(yx.squaredNorm(), xx.norm() * yy.norm());
}

/// Gram space, tile by tile: K = Xc Xc^T and L = Yc Yc^T are never held whole;
/// <K, L>, ||K||^2 and ||L||^2 are summed over the tiles (i, j >= i) of the
/// symmetric Grams, off-diagonal tiles counted twice.
double linear_cka_gram(const RowMatrixXf& X, const RowMatrixXf& Y, const Eigen::RowVectorXd& mx,
                       const Eigen::RowVectorXd& my) {
  const Index blocks = (X.rows() + kBlock - 1) / kBlock;
  std::vector<std::pair<Index, Index>> tiles;
  for (Index i = 0; i < blocks; ++i) {
    for (Index j = i; j < blocks; ++j) tiles.emplace_back(i, j);
  }
  // Per-tile sums, added in tile order afterwards: the result does not depend on the thread count.
  std::vector<double> kl(tiles.size()), kk(tiles.size()), ll(tiles.size());
#ifdef _OPENMP
#pragma omp parallel if (tiles.size() > 1)
#endif
  {
#ifdef _OPENMP
    omp_set_num_threads(1);  // Eigen's GEMM threading would change its blocking and rounding
#endif
    RowMatrixXd xi, xj, yi, yj, k, l;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (std::size_t t = 0; t < tiles.size(); ++t) {
      const auto [i, j] = tiles[t];
      const Index ri = std::min(kBlock, X.rows() - i * kBlock);
      const Index rj = std::min(kBlock, X.rows() - j * kBlock);
      load(X, mx, i * kBlock, ri, xi);
      load(Y, my, i * kBlock, ri, yi);
      load(X, mx, j * kBlock, rj, xj);
      load(Y, my, j * kBlock, rj, yj);
      k.noalias() = xi * xj.transpose();
      l.noalias() = yi * yj.transpose();
      const double weight = i == j ? 1.0 : 2.0;
      kl[t] = weight * k.cwiseProduct(l).sum();
      kk[t] = weight * k.squaredNorm();
      ll[t] = weight * l.squaredNorm();
    }
  }
  const double sum_kl = std::accumulate(kl.begin(), kl.end(), 0.0);
  const double sum_kk = std::accumulate(kk.begin(), kk.end(), 0.0);
  const double sum_ll = std::accumulate(ll.begin(), ll.end(), 0.0);
  return ratio(sum_kl, std::sqrt(sum_kk) * std::sqrt(sum_ll));
}

/// H K H for a dense kernel: subtract row and column means, add the grand mean.
Eigen::MatrixXd centred(const Eigen::MatrixXd& K) {
  const Eigen::VectorXd row_mean = K.rowwise().mean();
  const Eigen::RowVectorXd col_mean = K.colwise().mean();
  Eigen::MatrixXd c = K;
  c.colwise() -= row_mean;
  c.rowwise() -= col_mean;
  c.array() += K.mean();
  return c;
}

template <class Matrix>
void check_kernels(const Matrix& K, const Matrix& L) {
  CP_ASSERT(K.rows() == K.cols() && L.rows() == L.cols() && K.rows() == L.rows(),
            "kernel_cka needs two n x n kernels, got " + std::to_string(K.rows()) + "x" +
                std::to_string(K.cols()) + " and " + std::to_string(L.rows()) + "x" +
                std::to_string(L.cols()));
  CP_ASSERT(K.rows() >= 2, "kernel_cka needs at least 2 samples");
}

/// The pieces of tr(K H L H) for sparse K, L (see the header).
struct SparseSums {
  Eigen::VectorXd row, col;  ///< K 1 and K^T 1
  double total = 0;          ///< 1^T K 1
};

SparseSums sums_of(const Eigen::SparseMatrix<double, Eigen::RowMajor>& K) {
  SparseSums s{Eigen::VectorXd::Zero(K.rows()), Eigen::VectorXd::Zero(K.cols()), 0.0};
  for (Index i = 0; i < K.outerSize(); ++i) {
    for (Eigen::SparseMatrix<double, Eigen::RowMajor>::InnerIterator it(K, i); it; ++it) {
      CP_ASSERT(std::isfinite(it.value()), "kernel_cka: NaN or infinite kernel entries");
      s.row[it.row()] += it.value();
      s.col[it.col()] += it.value();
    }
  }
  s.total = s.row.sum();
  return s;
}

double sparse_trace(const Eigen::SparseMatrix<double, Eigen::RowMajor>& K, const SparseSums& k,
                    const Eigen::SparseMatrix<double, Eigen::RowMajor>& L, const SparseSums& l) {
  const double n = static_cast<double>(K.rows());
  // <K, L^T>: the transpose as a row-major matrix, so both operands share a storage order.
  const Eigen::SparseMatrix<double, Eigen::RowMajor> Lt = L.transpose();
  const double inner = K.cwiseProduct(Lt).sum();
  return inner - k.col.dot(l.row) / n - l.col.dot(k.row) / n + k.total * l.total / (n * n);
}

}  // namespace

double linear_cka(const RowMatrixXf& X, const RowMatrixXf& Y) {
  CP_ASSERT(X.rows() == Y.rows(), "linear_cka: " + std::to_string(X.rows()) + " vs " +
                                      std::to_string(Y.rows()) + " rows");
  CP_ASSERT(X.rows() >= 2, "linear_cka needs at least 2 rows");
  CP_ASSERT(X.allFinite() && Y.allFinite(), "linear_cka: NaN or infinite values");
  const Eigen::RowVectorXd mx = column_means(X), my = column_means(Y);
  // Flops of each route: n (dx^2 + dy^2 + dx dy) against n^2 (dx + dy) / 2.
  const double n = static_cast<double>(X.rows());
  const double dx = static_cast<double>(X.cols()), dy = static_cast<double>(Y.cols());
  if (n * (dx + dy) < 2.0 * (dx * dx + dy * dy + dx * dy)) return linear_cka_gram(X, Y, mx, my);
  return linear_cka_features(X, Y, mx, my);
}

double kernel_cka(const Eigen::MatrixXd& K, const Eigen::MatrixXd& L) {
  check_kernels(K, L);
  CP_ASSERT(K.allFinite() && L.allFinite(), "kernel_cka: NaN or infinite kernel entries");
  // tr(K H L H) = tr((H K H) L) = <H K H, L^T>; H being idempotent, also <HKH, (HLH)^T>.
  const Eigen::MatrixXd kc = centred(K), lc = centred(L);
  const double kl = kc.cwiseProduct(lc.transpose()).sum();
  const double kk = kc.cwiseProduct(kc.transpose()).sum();
  const double ll = lc.cwiseProduct(lc.transpose()).sum();
  return ratio(kl, std::sqrt(kk) * std::sqrt(ll));
}

double kernel_cka(const Eigen::SparseMatrix<double, Eigen::RowMajor>& K,
                  const Eigen::SparseMatrix<double, Eigen::RowMajor>& L) {
  check_kernels(K, L);
  const SparseSums k = sums_of(K), l = sums_of(L);
  const double kl = sparse_trace(K, k, L, l);
  const double kk = sparse_trace(K, k, K, k);
  const double ll = sparse_trace(L, l, L, l);
  // HSIC(K, K) >= 0 for a positive semi-definite K; rounding may leave it a hair below.
  return ratio(kl, std::sqrt(std::max(kk, 0.0)) * std::sqrt(std::max(ll, 0.0)));
}

}  // namespace cp
