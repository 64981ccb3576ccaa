#pragma once
// Sparse subspace clustering (SSC) affinities: each point is written as a
// sparse combination of the other points; points of one linear subspace
// use each other, so W = |C| + |C|^T links points of the same subspace.
// Points are the ROWS of X; every row is l2-normalised first (zero rows get
// no coefficients and become isolated vertices).
#include <cstdint>

#include "clusterprobe/cluster/affinity.hpp"
#include "clusterprobe/common/matrix.hpp"

namespace cp {

struct SscParams {
  /// Lasso weight of the fit: tau = alpha / mu_min, mu_min = min_i max_{j != i}
  /// |<x_i, x_j>| (Elhamifar & Vidal 2013); alpha > 1 keeps every C column nonzero.
  double alpha = 20;
  /// ADMM iterations at most.
  int max_iter = 200;
  /// ADMM stops when the primal residual ||Z - C||_F is at most
  /// tol (n + max(||Z||_F, ||C||_F)) and the dual one mu ||C - C_prev||_F at
  /// most tol (n + ||L||_F) (Boyd et al. 2011, (3.12), eps_abs = eps_rel = tol
  /// over the n^2 coefficients), or after max_iter iterations.
  double tol = 1e-4;
  /// OMP: at most this many other points represent each point.
  int omp_sparsity = 8;
  /// OMP: stop adding points once the residual norm is below this (rows have norm 1).
  double omp_residual = 1e-3;
  /// ssc_affinity uses ADMM up to this many points and OMP beyond: ADMM needs
  /// several dense n x n double matrices and O(n^2 min(n, d)) time per iteration.
  std::int64_t admm_max_points = 3000;
  /// Reserved for randomised variants: both solvers are deterministic and ignore it.
  std::uint64_t seed = 0;
};

/// Local. Lasso SSC: min ||C||_1 + tau/2 ||X^T - X^T C||_F^2 s.t. diag(C) = 0,
/// solved by ADMM with the splitting of Elhamifar & Vidal (Z-update through a
/// Cholesky factorisation of tau X X^T + mu I, or of the d x d matrix
/// mu/tau I + X^T X by the Woodbury identity when d < n/2; soft threshold;
/// zero diagonal; dual ascent) and Boyd's residual balancing of mu. Returns
/// W = |C| + |C|^T. Memory: four n x n double matrices (five, six while
/// refactorising, when d >= n/2): 290-430 MB at n = 3000. Time per
/// iteration: 4 n^2 d flops when d < n/2, else 2 n^3 (reduce d first, e.g.
/// with the pca preprocessing step, for wide activations).
/// InternalError for non-finite data or invalid parameters.
Affinity ssc_admm(const RowMatrixXf& X, const SscParams& params);

/// Local. SSC by orthogonal matching pursuit (You, Robinson & Vidal 2016):
/// each point greedily picks up to omp_sparsity other points, the one most
/// correlated with its residual each time, refitting the residual by least
/// squares on the chosen points, until the residual norm is below
/// omp_residual. Returns W = |C| + |C|^T. Correlations come from float GEMMs
/// over blocks of points (O(n^2 d omp_sparsity) time, O(n omp_sparsity + n d)
/// memory); OpenMP threads share the blocks and the result does not depend
/// on their number. InternalError for non-finite data or invalid parameters.
Affinity ssc_omp(const RowMatrixXf& X, const SscParams& params);

/// Local. ssc_admm when rows <= admm_max_points, else ssc_omp.
Affinity ssc_affinity(const RowMatrixXf& X, const SscParams& params);

}  // namespace cp
