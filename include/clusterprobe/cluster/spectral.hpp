#pragma once
// Normalised spectral clustering of an affinity graph.
#include <cstdint>
#include <vector>

#include "clusterprobe/cluster/affinity.hpp"
#include "clusterprobe/cluster/kmeans.hpp"

namespace cp {

/// Local. Ng, Jordan & Weiss (2001): the top-k eigenvectors of
/// D^-1/2 W D^-1/2 (largest algebraic eigenvalues), rows of the n x k
/// embedding scaled to unit norm, then cp::kmeans with `km` (km.k is
/// replaced by k). Returns a label in [0, k) per vertex. Deterministic.
///
/// Connected components: each component c has the known eigenvector
/// D^1/2 1_c with eigenvalue 1, the top of the spectrum. A repeated
/// eigenvalue defeats Lanczos (from one start vector it sees a single
/// direction of the eigenspace and converges without the other copies), and
/// any basis of it is as valid as another. So with c < k components, the
/// embedding is those c vectors plus the top k - c eigenvectors of the
/// operator with them deflated; with c >= k the eigenspace is degenerate and
/// the clusters are the k - 1 largest components (ties: lowest vertex first)
/// plus the union of all the others.
///
/// Eigensolver for the deflated operator: dense SelfAdjointEigenSolver when
/// at most 2000 vertices have edges; otherwise Spectra's restarted Lanczos
/// (SymEigsSolver, ncv = min(n, max(2(k - c) + 1, 20))), falling back to the
/// dense solver (memory 8 n^2 bytes) if it does not converge, even after
/// one retry with a wider subspace.
///
/// Isolated vertices (zero degree) carry no information and are left out:
/// the others are clustered into min(k, their number) clusters; the first
/// isolated vertices (by index) then take the labels still unused, one each,
/// and the rest join the largest cluster (lowest label on ties). So all k
/// labels are used whenever n >= k. Self-loops are ignored.
///
/// REQUIRES: W square, symmetric, non-negative, finite; 1 <= k <= n
/// (InternalError otherwise; symmetry is not checked).
std::vector<std::int32_t> spectral_clustering(const Affinity& W, int k, const KMeansParams& km);

}  // namespace cp
