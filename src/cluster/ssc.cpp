// Lasso SSC by ADMM (Elhamifar & Vidal 2013, Sec. 5; the SSC1.py of Saini
// et al. follows the same splitting), and the ADMM/OMP dispatch.
//
// With Y the l2-normalised points as rows (n x d) and G = Y Y^T, ADMM splits
// the coefficients into Z (carries the fit) and C (carries the l1 norm and
// the zero diagonal), with the unscaled dual L:
//   Z = (tau G + mu I)^{-1} (tau G + mu C - L)
//   C = S_{1/mu}(Z + L / mu),  diag(C) = 0
//   L = L + mu (Z - C)
// mu follows Boyd et al.'s residual balancing (Sec. 3.4.1): x2 when the
// primal residual exceeds 10x the dual one, /2 in the opposite case. Every
// change refactorises the resolvent, so it may change at most kMaxMuChanges
// times; a fixed mu afterwards also restores ADMM's convergence guarantee.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
using Eigen::MatrixXd;
constexpr int kMaxMuChanges = 20;
constexpr double kBalance = 10.0;  // Boyd's residual ratio that triggers a change of mu
constexpr Index kThreadMinPoints = 1024;  // n^2 >= 2^20 entries before threads pay off

/// Solves the Z-update (tau G + mu I) Z = tau G + U for U = mu C - L,
/// without ever storing G = Y Y^T (an n x n matrix fewer). tau G + mu I is
/// symmetric positive definite for mu > 0, so it is factorised by Cholesky
/// (no pseudo-inverse), once per value of mu. Two forms:
///  - d < n/2, Woodbury: (mu I + tau Y Y^T)^{-1} = (I - Y K^{-1} Y^T) / mu with
///    K = mu/tau I_d + Y^T Y, a d x d factorisation; then
///      Z = U / mu + Y [tau Y^T - K^{-1} (tau Y^T Y Y^T + Y^T U)] / mu,
///    4 n^2 d flops per iteration;
///  - otherwise the explicit inverse A = (tau G + mu I)^{-1}, and since
///    A tau G = I - mu A, Z = A U + I - mu A: one parallel GEMM (2 n^3 flops)
///    per iteration, none involving d.
class Resolvent {
 public:
  Resolvent(const MatrixXd& Y, double tau)
      : y_(Y), tau_(tau), woodbury_(2 * Y.cols() < Y.rows()) {
    if (woodbury_) {
      yty_ = Y.transpose() * Y;
      gram_term_ = tau * yty_ * Y.transpose();  // tau Y^T G, fixed
    }
  }

  void set_mu(double mu) {
    mu_ = mu;
    if (woodbury_) {
      MatrixXd k = yty_;
      k.diagonal().array() += mu / tau_;
      llt_.compute(k);
      if (llt_.info() != Eigen::Success) CP_THROW_INTERNAL("SSC-ADMM: Cholesky factorisation failed");
      return;
    }
    MatrixXd h = tau_ * y_ * y_.transpose();
    h.diagonal().array() += mu;
    const Eigen::LLT<Eigen::Ref<MatrixXd>> llt(h);  // in place: no second n x n copy
    if (llt.info() != Eigen::Success) CP_THROW_INTERNAL("SSC-ADMM: Cholesky factorisation failed");
    inverse_.setIdentity(h.rows(), h.cols());
    llt.solveInPlace(inverse_);
  }

  /// Z = (tau G + mu I)^{-1} (tau G + U).
  void solve(const MatrixXd& u, MatrixXd& z) const {
    if (woodbury_) {
      MatrixXd t = gram_term_;
      t.noalias() += y_.transpose() * u;
      llt_.solveInPlace(t);
      t = (tau_ * y_.transpose() - t) / mu_;
      z.noalias() = u / mu_;
      z.noalias() += y_ * t;
    } else {
      z.noalias() = inverse_ * u;
      z.noalias() -= mu_ * inverse_;
      z.diagonal().array() += 1.0;
    }
  }

 private:
  const MatrixXd& y_;
  double tau_;
  bool woodbury_;
  double mu_ = 1.0;
  MatrixXd yty_, gram_term_;     // Woodbury path (d x d, d x n)
  Eigen::LLT<MatrixXd> llt_;     // Woodbury path: factor of K
  MatrixXd inverse_;             // dense path (n x n)
};

/// mu_min = min over points of the largest |<y_i, y_j>|, j != i, ignoring
/// points that have no nonzero inner product (zero rows): the smallest
/// weight for which no column of C is forced to zero is 1 / mu_min.
/// Inner products come in blocks of rows, so G is never stored.
double min_max_coherence(const MatrixXd& Y) {
  constexpr Index kBlock = 256;
  double mu_min = 0.0;
  MatrixXd g;
  for (Index r0 = 0; r0 < Y.rows(); r0 += kBlock) {
    const Index rows = std::min(kBlock, Y.rows() - r0);
    g.noalias() = Y * Y.middleRows(r0, rows).transpose();  // n x rows: column = point r0 + c
    for (Index c = 0; c < rows; ++c) {
      g(r0 + c, c) = 0.0;  // j != i
      const double best = g.col(c).cwiseAbs().maxCoeff();
      if (best > 0.0 && (mu_min == 0.0 || best < mu_min)) mu_min = best;
    }
  }
  return mu_min;
}

double soft_threshold(double v, double t) {
  return v > t ? v - t : (v < -t ? v + t : 0.0);
}

/// Frobenius norms the stopping rule needs, gathered in the update pass.
struct Residuals {
  double primal = 0;  ///< ||Z - C||_F
  double dual = 0;    ///< mu ||C - C_prev||_F
  double z = 0, c = 0, l = 0;  ///< ||Z||_F, ||C||_F, ||L||_F after the update
};

/// The C and dual updates in one pass over the entries (the iteration is
/// memory-bound at n = 3000: every pass over an n x n matrix counts).
/// Column sums are combined in column order, so the result does not depend
/// on the number of threads; small problems stay on one thread, where a
/// parallel region costs more in barriers than it saves on a loaded machine.
Residuals update_c_and_dual(const MatrixXd& Z, double mu, MatrixXd& C, MatrixXd& L) {
  const Index n = C.cols();
  // Per column: primal, change, |Z|^2, |C|^2, |L|^2.
  Eigen::Matrix<double, 5, Eigen::Dynamic> sums(5, n);
  [[maybe_unused]] const bool threads = n >= kThreadMinPoints;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (threads)
#endif
  for (Index j = 0; j < n; ++j) {
    double p = 0.0, ch = 0.0, zz = 0.0, cc = 0.0, ll = 0.0;
    for (Index i = 0; i < n; ++i) {
      const double z = Z(i, j);
      const double next = i == j ? 0.0 : soft_threshold(z + L(i, j) / mu, 1.0 / mu);
      ch += (next - C(i, j)) * (next - C(i, j));
      C(i, j) = next;
      const double r = z - next;
      p += r * r;
      L(i, j) += mu * r;
      zz += z * z;
      cc += next * next;
      ll += L(i, j) * L(i, j);
    }
    sums.col(j) << p, ch, zz, cc, ll;
  }
  Eigen::Matrix<double, 5, 1> total = Eigen::Matrix<double, 5, 1>::Zero();
  for (Index j = 0; j < n; ++j) total += sums.col(j);
  Residuals res;
  res.primal = std::sqrt(total[0]);
  res.dual = mu * std::sqrt(total[1]);
  res.z = std::sqrt(total[2]);
  res.c = std::sqrt(total[3]);
  res.l = std::sqrt(total[4]);
  return res;
}

Affinity sparse_from_dense(const MatrixXd& C) {
  std::vector<Eigen::Triplet<double>> triplets;
  for (Index j = 0; j < C.cols(); ++j) {
    for (Index i = 0; i < C.rows(); ++i) {
      if (C(i, j) != 0.0) triplets.emplace_back(static_cast<int>(i), static_cast<int>(j), C(i, j));
    }
  }
  Affinity sparse(C.rows(), C.cols());
  sparse.setFromTriplets(triplets.begin(), triplets.end());
  return sparse;
}

}  // namespace

Affinity ssc_admm(const RowMatrixXf& X, const SscParams& params) {
  CP_ASSERT(params.alpha > 0.0, "alpha = " + std::to_string(params.alpha));
  CP_ASSERT(params.max_iter >= 1, "max_iter = " + std::to_string(params.max_iter));
  CP_ASSERT(params.tol >= 0.0, "tol = " + std::to_string(params.tol));
  CP_ASSERT(X.allFinite(), "the data contain NaN or infinite values");
  const Index n = X.rows();
  RowMatrixXf unit = X;
  preprocess(unit, {"l2"});
  const MatrixXd Y = unit.cast<double>();
  const double mu_min = min_max_coherence(Y);
  // No two points share a direction: no point can represent another.
  if (mu_min == 0.0) return Affinity(n, n);
  const double tau = params.alpha / mu_min;

  // Starting at mu = tau weighs both terms of the Z-update alike; residual
  // balancing takes it from there.
  double mu = tau;
  Resolvent resolvent(Y, tau);
  resolvent.set_mu(mu);
  MatrixXd C = MatrixXd::Zero(n, n);
  MatrixXd L = MatrixXd::Zero(n, n);
  MatrixXd Z(n, n);
  MatrixXd U(n, n);
  const double root_p = static_cast<double>(n);  // sqrt of the n^2 coefficients
  int mu_changes = 0;
  for (int it = 0; it < params.max_iter; ++it) {
    U = mu * C - L;
    resolvent.solve(U, Z);
    const Residuals res = update_c_and_dual(Z, mu, C, L);
    // Boyd et al. (3.12) with eps_abs = eps_rel = tol over p = n^2 variables.
    const double primal_tol = params.tol * (root_p + std::max(res.z, res.c));
    const double dual_tol = params.tol * (root_p + res.l);
    if (res.primal <= primal_tol && res.dual <= dual_tol) break;
    if (mu_changes < kMaxMuChanges) {
      double next = mu;
      if (res.primal > kBalance * res.dual) next = 2.0 * mu;
      if (res.dual > kBalance * res.primal) next = 0.5 * mu;
      if (next != mu) {
        mu = next;
        resolvent.set_mu(mu);
        ++mu_changes;
      }
    }
  }
  return symmetric_abs(sparse_from_dense(C));
}

Affinity ssc_affinity(const RowMatrixXf& X, const SscParams& params) {
  return X.rows() <= params.admm_max_points ? ssc_admm(X, params) : ssc_omp(X, params);
}

}  // namespace cp
