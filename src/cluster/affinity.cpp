// Self-tuning kNN affinity and the symmetric |C| + |C|^T SSC affinity.
//
// Neighbour search: every block of rows is multiplied with every block of
// columns of the centred data (one float GEMM each) and the k smallest
// squared distances of each row are kept in a bounded max-heap, so memory
// stays O(block^2 + n k). Centring first avoids the cancellation of
// ||x||^2 - 2 x.y + ||y||^2 for data far from the origin (ReLU activations),
// as in kmeans.cpp; the chosen neighbours' distances are then recomputed
// exactly in double so sigma and the weights carry no GEMM rounding.
#include "clusterprobe/cluster/affinity.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kRowBlock = 256;
constexpr Index kColBlock = 2048;  // 256 x 2048 floats = 2 MB per thread

/// (squared distance, index): ordered by distance, then index, so ties are
/// broken the same way whatever the thread count or block order.
using Neighbour = std::pair<double, std::int32_t>;

/// Keeps the k smallest candidates of one row in a max-heap.
void offer(std::vector<Neighbour>& heap, std::size_t k, Neighbour cand) {
  if (heap.size() < k) {
    heap.push_back(cand);
    std::push_heap(heap.begin(), heap.end());
  } else if (cand < heap.front()) {
    std::pop_heap(heap.begin(), heap.end());
    heap.back() = cand;
    std::push_heap(heap.begin(), heap.end());
  }
}

/// The k nearest other rows of every row, sorted by exact squared distance.
std::vector<std::vector<Neighbour>> nearest_neighbours(const RowMatrixXf& X, Index k) {
  const Index n = X.rows();
  RowMatrixXf xc = X;
  center_columns(xc);
  const Eigen::VectorXf norm2 = xc.rowwise().squaredNorm();
  std::vector<std::vector<Neighbour>> nn(static_cast<std::size_t>(n));
  const Index blocks = (n + kRowBlock - 1) / kRowBlock;
#ifdef _OPENMP
#pragma omp parallel
#endif
  {
    RowMatrixXf g;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (Index b = 0; b < blocks; ++b) {
      const Index r0 = b * kRowBlock;
      const Index rows = std::min(kRowBlock, n - r0);
      for (Index c0 = 0; c0 < n; c0 += kColBlock) {
        const Index cols = std::min(kColBlock, n - c0);
        g.noalias() = xc.middleRows(r0, rows) * xc.middleRows(c0, cols).transpose();
        for (Index i = 0; i < rows; ++i) {
          auto& heap = nn[static_cast<std::size_t>(r0 + i)];
          for (Index j = 0; j < cols; ++j) {
            if (c0 + j == r0 + i) continue;
            const float d2 = std::max(0.0f, norm2[r0 + i] + norm2[c0 + j] - 2.0f * g(i, j));
            offer(heap, static_cast<std::size_t>(k), {d2, static_cast<std::int32_t>(c0 + j)});
          }
        }
      }
      for (Index i = r0; i < r0 + rows; ++i) {
        auto& list = nn[static_cast<std::size_t>(i)];
        for (auto& [d2, j] : list) d2 = (X.row(i).cast<double>() - X.row(j).cast<double>()).squaredNorm();
        std::sort(list.begin(), list.end());
      }
    }
  }
  return nn;
}

}  // namespace

Affinity knn_affinity(const RowMatrixXf& X, int k) {
  CP_ASSERT(k >= 1, "k = " + std::to_string(k));
  CP_ASSERT(X.allFinite(), "the data contain NaN or infinite values");
  const Index n = X.rows();
  CP_ASSERT(n <= std::numeric_limits<std::int32_t>::max(), "too many rows");
  Affinity W(n, n);
  if (n < 2) return W;
  const Index kk = std::min<Index>(k, n - 1);
  const auto nn = nearest_neighbours(X, kk);

  std::vector<double> sigma(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) sigma[i] = std::sqrt(nn[i].back().first);
  const double largest = *std::max_element(sigma.begin(), sigma.end());
  // Keeps exp(-d^2 / (sigma_i sigma_j)) defined when k points coincide with
  // i; when all do, every neighbour distance is 0 and any scale gives 1.
  const double floor = largest > 0.0 ? 1e-12 * largest : 1.0;
  for (double& s : sigma) s = std::max(s, floor);

  std::vector<Eigen::Triplet<double>> triplets;
  triplets.reserve(static_cast<std::size_t>(2 * n * kk));
  for (Index i = 0; i < n; ++i) {
    for (const auto& [d2, j] : nn[i]) {
      // Divided in turn: the product of two floored sigmas could underflow.
      const double w = std::exp(-(d2 / sigma[i]) / sigma[j]);
      if (w <= 0.0) continue;
      triplets.emplace_back(static_cast<int>(i), j, w);
      triplets.emplace_back(j, static_cast<int>(i), w);
    }
  }
  // A mutual pair appears twice with the same weight (d2 is symmetric bit
  // for bit): keep one, do not sum.
  W.setFromTriplets(triplets.begin(), triplets.end(),
                    [](double a, double b) { return std::max(a, b); });
  return W;
}

Affinity symmetric_abs(const Affinity& C) {
  CP_ASSERT(C.rows() == C.cols(), "coefficient matrix is " + std::to_string(C.rows()) + " x " +
                                      std::to_string(C.cols()));
  const Affinity a = C.cwiseAbs();
  const Affinity at = a.transpose();
  Affinity W = a + at;
  W.prune([](Index i, Index j, double v) { return i != j && v > 0.0; });
  return W;
}

}  // namespace cp
