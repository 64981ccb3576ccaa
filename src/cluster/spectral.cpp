// Normalised spectral clustering (Ng, Jordan & Weiss 2001), with the
// eigenvalue-1 eigenvectors of the graph's components known in closed form
// and deflated before the eigensolver runs (see spectral.hpp).
#include "clusterprobe/cluster/spectral.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include <Eigen/Eigenvalues>
#include <Spectra/SymEigsSolver.h>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
using Eigen::MatrixXd;
constexpr Index kDenseMaxVertices = 2000;
constexpr Index kLanczosMaxIter = 1000;
constexpr double kLanczosTol = 1e-10;

/// D^-1/2 W D^-1/2 restricted to the vertices with edges (`kept`, in order).
Affinity normalised_operator(const Affinity& W, const Eigen::VectorXd& degree,
                             const std::vector<Index>& kept) {
  std::vector<Index> position(static_cast<std::size_t>(W.rows()), -1);
  for (std::size_t p = 0; p < kept.size(); ++p) position[kept[p]] = static_cast<Index>(p);
  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(static_cast<std::size_t>(W.nonZeros()));
  for (Index i : kept) {
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() == i) continue;  // self-loops carry no grouping (and are not in the degree)
      // Both ends of an edge have positive degree, so both are kept.
      const double v = it.value() / std::sqrt(degree[i] * degree[it.col()]);
      if (v != 0.0) triplets.emplace_back(static_cast<int>(position[i]),
                                          static_cast<int>(position[it.col()]), v);
    }
  }
  const Index m = static_cast<Index>(kept.size());
  Affinity M(m, m);
  M.setFromTriplets(triplets.begin(), triplets.end());
  return M;
}

/// Connected components of a symmetric graph: component of each vertex, in
/// order of their lowest vertex.
std::vector<Index> components(const Affinity& M, Index* count) {
  std::vector<Index> comp(static_cast<std::size_t>(M.rows()), -1);
  std::vector<Index> stack;
  *count = 0;
  for (Index s = 0; s < M.rows(); ++s) {
    if (comp[s] >= 0) continue;
    comp[s] = *count;
    stack.push_back(s);
    while (!stack.empty()) {
      const Index i = stack.back();
      stack.pop_back();
      for (Affinity::InnerIterator it(M, i); it; ++it) {
        if (comp[it.col()] < 0) {
          comp[it.col()] = *count;
          stack.push_back(it.col());
        }
      }
    }
    ++*count;
  }
  return comp;
}

/// The eigenvalue-1 eigenvectors of D^-1/2 W D^-1/2, one per component:
/// D^1/2 times the component's indicator, normalised (m x c).
MatrixXd component_eigenvectors(const std::vector<Index>& comp, Index count,
                                const Eigen::VectorXd& degree) {
  MatrixXd u = MatrixXd::Zero(degree.size(), count);
  for (Index i = 0; i < degree.size(); ++i) u(i, comp[i]) = std::sqrt(degree[i]);
  u.colwise().normalize();
  return u;
}

/// y = (M - 2 U U^T) x: M with its known eigenvalue-1 eigenvectors U moved
/// to eigenvalue -1, the bottom of its spectrum, so the solver finds the
/// next ones.
class DeflatedOp {
 public:
  using Scalar = double;
  DeflatedOp(const Affinity& M, const MatrixXd& U) : m_(M), u_(U) {}
  Index rows() const { return m_.rows(); }
  Index cols() const { return m_.cols(); }
  void perform_op(const double* x_in, double* y_out) const {
    const Eigen::Map<const Eigen::VectorXd> x(x_in, m_.cols());
    Eigen::Map<Eigen::VectorXd> y(y_out, m_.rows());
    y.noalias() = m_ * x;
    y.noalias() -= 2.0 * (u_ * (u_.transpose() * x));
  }

 private:
  const Affinity& m_;
  const MatrixXd& u_;
};

MatrixXd top_eigenvectors_dense(const Affinity& M, const MatrixXd& U, Index k) {
  MatrixXd dense = MatrixXd(M);
  dense.noalias() -= 2.0 * U * U.transpose();
  const Eigen::SelfAdjointEigenSolver<MatrixXd> eig(dense);
  if (eig.info() != Eigen::Success) CP_THROW_INTERNAL("spectral: dense eigensolver failed");
  return eig.eigenvectors().rightCols(k);  // eigenvalues are increasing
}

/// Restarted Lanczos; returns an empty matrix when it does not converge.
MatrixXd top_eigenvectors_lanczos(DeflatedOp& op, Index k, Index ncv) {
  try {
    Spectra::SymEigsSolver<DeflatedOp> eigs(op, k, ncv);
    eigs.init();  // Spectra's fixed-seed start vector: deterministic
    eigs.compute(Spectra::SortRule::LargestAlge, kLanczosMaxIter, kLanczosTol);
    if (eigs.info() == Spectra::CompInfo::Successful) return eigs.eigenvectors();
  } catch (const std::exception&) {
    // Spectra reports numerical breakdowns by exception: treat as no convergence.
  }
  return MatrixXd();
}

/// The top k eigenvectors of M - 2 U U^T.
MatrixXd top_eigenvectors(const Affinity& M, const MatrixXd& U, Index k) {
  const Index m = M.rows();
  const Index ncv = std::min(m, std::max<Index>(2 * k + 1, 20));
  if (m <= kDenseMaxVertices || ncv <= k) return top_eigenvectors_dense(M, U, k);
  DeflatedOp op(M, U);
  MatrixXd v = top_eigenvectors_lanczos(op, k, ncv);
  if (v.size() == 0) v = top_eigenvectors_lanczos(op, k, std::min(m, 2 * ncv));
  return v.size() != 0 ? v : top_eigenvectors_dense(M, U, k);
}

/// With at least k components the top eigenvalue 1 is repeated and its
/// eigenspace spans the components: clusters are the k - 1 largest
/// components (ties: lowest vertex first) and the union of the others.
std::vector<std::int32_t> label_components(const std::vector<Index>& comp, Index count, Index k) {
  std::vector<Index> size(static_cast<std::size_t>(count), 0);
  for (Index c : comp) ++size[c];
  std::vector<Index> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(), [&](Index a, Index b) { return size[a] > size[b]; });
  std::vector<std::int32_t> label_of(static_cast<std::size_t>(count), static_cast<std::int32_t>(k - 1));
  for (Index r = 0; r + 1 < k; ++r) label_of[order[r]] = static_cast<std::int32_t>(r);
  std::vector<std::int32_t> labels(comp.size());
  for (std::size_t i = 0; i < comp.size(); ++i) labels[i] = label_of[comp[i]];
  return labels;
}

/// NJW on the vertices with edges: k-means on the row-normalised embedding
/// made of the component eigenvectors and the k - c next eigenvectors.
std::vector<std::int32_t> cluster_vertices(const Affinity& M, const Eigen::VectorXd& degree,
                                           Index k, KMeansParams km) {
  Index count = 0;
  const std::vector<Index> comp = components(M, &count);
  if (count >= k) return label_components(comp, count, k);
  const MatrixXd u = component_eigenvectors(comp, count, degree);
  const MatrixXd v = top_eigenvectors(M, u, k - count);
  RowMatrixXf embedding(M.rows(), k);
  for (Index i = 0; i < M.rows(); ++i) {
    Eigen::RowVectorXd row(k);
    row << u.row(i), v.row(i);
    const double norm = row.norm();  // > 0: u has a nonzero entry in every row
    embedding.row(i) = (row / norm).cast<float>();
  }
  km.k = static_cast<int>(k);
  return kmeans(embedding, km).labels;
}

}  // namespace

std::vector<std::int32_t> spectral_clustering(const Affinity& W, int k, const KMeansParams& km) {
  const Index n = W.rows();
  CP_ASSERT(W.cols() == n, "affinity is " + std::to_string(n) + " x " + std::to_string(W.cols()));
  CP_ASSERT(k >= 1 && k <= n, "k = " + std::to_string(k) + " for " + std::to_string(n) + " vertices");
  const Eigen::Map<const Eigen::VectorXd> values(W.valuePtr(), W.nonZeros());
  CP_ASSERT(values.allFinite() && (values.size() == 0 || values.minCoeff() >= 0.0),
            "affinity weights must be finite and non-negative");

  Eigen::VectorXd degree = Eigen::VectorXd::Zero(n);
  for (Index i = 0; i < n; ++i) {
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() != i) degree[i] += it.value();
    }
  }
  std::vector<Index> kept, isolated;
  for (Index i = 0; i < n; ++i) (degree[i] > 0.0 ? kept : isolated).push_back(i);

  std::vector<std::int32_t> labels(static_cast<std::size_t>(n), 0);
  const Index k_kept = std::min<Index>(k, static_cast<Index>(kept.size()));
  std::vector<Index> sizes(static_cast<std::size_t>(k), 0);
  if (k_kept > 0) {
    Eigen::VectorXd kept_degree(static_cast<Index>(kept.size()));
    for (std::size_t p = 0; p < kept.size(); ++p) kept_degree[p] = degree[kept[p]];
    const auto inner = cluster_vertices(normalised_operator(W, degree, kept), kept_degree, k_kept, km);
    for (std::size_t p = 0; p < kept.size(); ++p) {
      labels[kept[p]] = inner[p];
      ++sizes[inner[p]];
    }
  }
  Index next_label = k_kept;
  for (Index i : isolated) {
    if (next_label < k) {
      labels[i] = static_cast<std::int32_t>(next_label++);
    } else {
      labels[i] = static_cast<std::int32_t>(std::max_element(sizes.begin(), sizes.end()) - sizes.begin());
    }
    ++sizes[labels[i]];
  }
  return labels;
}

}  // namespace cp
