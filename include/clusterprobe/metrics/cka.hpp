#pragma once
// Centered kernel alignment (Kornblith et al. 2019; Cortes et al. 2012), the
// similarity of two representations of the same samples:
//   HSIC(K, L) = tr(K H L H) / (n - 1)^2,  H = I - 11^T / n,
//   CKA(K, L)  = HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)).
// With linear kernels K = X X^T, L = Y Y^T and column-centred X, Y this is
//   linear CKA = ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F).
// CKA is invariant to orthogonal transforms and isotropic scaling of either
// side. Everything is computed in double. A representation with no variance
// (a constant layer, a zero kernel) gives a 0/0: the result is then NaN.
#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// Local. Linear CKA of the rows of X and Y (same number of rows, any widths).
/// Columns are centred here. Works in the feature space (the d x d cross
/// products) or, when that is cheaper (widths exceeding the row count), in the
/// n x n Gram space; the result is the same. Throws InternalError if the row
/// counts differ, there are fewer than 2 rows, or a value is not finite.
double linear_cka(const RowMatrixXf& X, const RowMatrixXf& Y);

/// Local. Kernel CKA of two n x n kernel matrices (centred here; they need not
/// be symmetric: tr(K H L H) is used as written). Throws InternalError for
/// shapes that are not n x n alike, n < 2, or non-finite entries.
double kernel_cka(const Eigen::MatrixXd& K, const Eigen::MatrixXd& L);

/// Local. The same for sparse kernels (affinity graphs), in O(nnz + n) time
/// and memory: never a dense n x n product. Centring enters through the row
/// and column sums:
///   tr(K H L H) = <K, L^T> - (K^T 1).(L 1)/n - (L^T 1).(K 1)/n + (1^T K 1)(1^T L 1)/n^2,
/// which for symmetric K, L is <K, L> - 2/n (K1).(L1) + (1^T K 1)(1^T L 1)/n^2.
double kernel_cka(const Eigen::SparseMatrix<double, Eigen::RowMajor>& K,
                  const Eigen::SparseMatrix<double, Eigen::RowMajor>& L);

}  // namespace cp
