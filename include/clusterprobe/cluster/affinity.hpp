#pragma once
// Sparse affinity graphs between the rows of a matrix, the input of spectral
// clustering and community detection.
#include <Eigen/SparseCore>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// n x n affinity between n points: symmetric, non-negative, zero diagonal
/// (no explicit diagonal entries). Row-major so a row is a point's neighbours.
using Affinity = Eigen::SparseMatrix<double, Eigen::RowMajor>;

/// Local. Self-tuning k-nearest-neighbour graph (Zelnik-Manor & Perona 2004):
/// i and j are joined when either is among the other's k nearest neighbours
/// (Euclidean), with weight exp(-d_ij^2 / (sigma_i sigma_j)), sigma_i the
/// distance from i to its k-th nearest neighbour. k is capped at rows - 1;
/// k < 1 throws InternalError, as do non-finite values. Distances come from
/// float GEMMs over blocks of rows and columns of the centred data (memory
/// O(n k + n d), never n x n; fine for n = 50k), and are recomputed exactly in
/// double for the chosen neighbours. Ties are broken by the lower index, so
/// the graph does not depend on the number of OpenMP threads. A sigma of 0
/// (k duplicates of a point) is raised to 1e-12 of the largest sigma;
/// weights that underflow to 0 are left out of the pattern.
Affinity knn_affinity(const RowMatrixXf& X, int k);

/// Local. The SSC affinity of a self-expression coefficient matrix:
/// W = |C| + |C|^T without diagonal entries and without explicit zeros.
/// C must be square (InternalError otherwise).
Affinity symmetric_abs(const Affinity& C);

}  // namespace cp
