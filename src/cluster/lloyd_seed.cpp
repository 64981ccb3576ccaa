// Greedy k-means++ seeding (Arthur & Vassilvitskii; as scikit-learn's
// _kmeans_plusplus) over the rows of one part of a RowPartition: every part
// draws the same random numbers from the same stream, finds which global row
// a draw lands on from its running sums, and fetches that row from its owner.
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "dot_panel.hpp"
#include "lloyd_blocks.hpp"

namespace cp::detail {
namespace {

/// Squared distances (clamped at 0) of this part's rows to the centred rows
/// of p: out is rows x p.rows().
void distances_to(const RowMatrixXf& X, const BlockGrid& grid, const Eigen::RowVectorXf& mean,
                  const Eigen::VectorXf& x_norm2, const RowMatrixXf& p, RowMatrixXf& out,
                  const RowMatrixXf* centred) {
  const Eigen::VectorXf p_norm2 = p.rowwise().squaredNorm();
  const DotPanel panel(p);
  out.resize(X.rows(), p.rows());
  [[maybe_unused]] const bool threads = worth_threads(X.rows(), X.cols() * p.rows());
#ifdef _OPENMP
#pragma omp parallel if (threads)
#endif
  {
    eigen_on_one_thread();
    RowMatrixXf xb, g;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (Index b = 0; b < grid.blocks(); ++b) {
      const Index r0 = grid.begin(b), rows = grid.end(b) - r0;
      Index slot = 0;
      if (centred && panel.vector_kernel()) {
        panel.dots(centred->row(r0).data(), rows, X.cols(), g);
      } else {
        slot = grid.slot(b);
        load_block(X, mean, r0, rows, slot, xb);
        panel.dots(xb, g);
      }
      // (-2 x.p + |x|^2) + |p|^2, clamped: rounding can make it slightly negative.
      out.middleRows(r0, rows) =
          (((-2.0f * g.block(slot, 0, rows, p.rows())).colwise() + x_norm2.segment(r0, rows)).rowwise() +
           p_norm2.transpose())
              .cwiseMax(0.0f);
    }
  }
}

}  // namespace

/// Greedy k-means++: each new centre is the best of `trials` D^2 samples, the
/// one that lowers the potential most (Arthur & Vassilvitskii; sklearn). Every
/// part draws the same random numbers; a drawn global row is fetched from the
/// part that holds it.
RowMatrixXf seed_plus_plus(const RowMatrixXf& X, const BlockGrid& grid,
                           const Eigen::RowVectorXf& mean, const Eigen::VectorXf& x_norm2, int k,
                           std::mt19937_64& rng, RowPartition& part, const RowMatrixXf* centred) {
  const Index n = X.rows();
  const std::int64_t total = part.global_rows();
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  RowMatrixXf centroids(k, X.cols()), cand_rows, dist;
  std::vector<double> closest(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
  std::vector<double> cumsum(static_cast<std::size_t>(n));
  std::vector<double> block_pot(static_cast<std::size_t>(grid.blocks()));

  auto measure = [&](const std::vector<std::int64_t>& cand) {
    cand_rows.resize(static_cast<Index>(cand.size()), X.cols());
    for (std::size_t t = 0; t < cand.size(); ++t) {
      part.fetch_row(cand[t], X, cand_rows.row(static_cast<Index>(t)).data());
    }
    distances_to(X, grid, mean, x_norm2, cand_rows.rowwise() - mean, dist, centred);
  };
  // This part's potential if candidate t joined the centres (before reduction).
  auto potential_with = [&](Index t) {
    [[maybe_unused]] const bool threads = worth_threads(n, 16);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (threads)
#endif
    for (Index b = 0; b < grid.blocks(); ++b) {
      double s = 0.0;
      for (Index i = grid.begin(b); i < grid.end(b); ++i) {
        s += std::min(closest[i], static_cast<double>(dist(i, t)));
      }
      block_pot[b] = s;
    }
    return std::accumulate(block_pot.begin(), block_pot.end(), 0.0);
  };
  auto accept = [&](Index t) {
    for (Index i = 0; i < n; ++i) closest[i] = std::min(closest[i], static_cast<double>(dist(i, t)));
  };

  const auto first = std::min<std::int64_t>(
      static_cast<std::int64_t>(uniform01(rng) * static_cast<double>(total)), total - 1);
  measure({first});
  centroids.row(0) = cand_rows.row(0);
  double potential = potential_with(0);
  part.sum(&potential, 1);
  accept(0);
  std::vector<std::int64_t> cand(static_cast<std::size_t>(trials));
  std::vector<double> pots(static_cast<std::size_t>(trials));
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumsum.begin());
    const double before = part.prefix_sum(n > 0 ? cumsum.back() : 0.0);
    for (auto& idx : cand) {
      const double r = uniform01(rng) * potential;
      // First row whose running total exceeds r (never a row of weight 0, an
      // existing centre, unless all are); parts past it report `total`.
      const auto it = std::upper_bound(cumsum.begin(), cumsum.end(), r,
                                       [before](double v, double cum) { return v < before + cum; });
      idx = it == cumsum.end() ? total : part.first_row() + (it - cumsum.begin());
    }
    part.min(cand.data(), cand.size());
    for (auto& idx : cand) idx = std::min(idx, total - 1);
    measure(cand);
    for (int t = 0; t < trials; ++t) pots[t] = potential_with(t);
    part.sum(pots.data(), pots.size());
    const int best_t = static_cast<int>(std::min_element(pots.begin(), pots.end()) - pots.begin());
    centroids.row(c) = cand_rows.row(best_t);
    accept(best_t);
    potential = pots[best_t];
  }
  return centroids;
}

}  // namespace cp::detail
