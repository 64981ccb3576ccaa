// k-means: greedy k-means++ seeding (as scikit-learn's _kmeans_plusplus) and
// Lloyd iterations, with squared distances from one GEMM per block of rows.
//
// Numerics: ||x||^2 - 2 x.c + ||c||^2 in float cancels badly when the data sit
// far from the origin (ReLU activations do), so every block of rows is
// centred on the column mean before the GEMM, as scikit-learn centres X.
// The inertia uses the exact ||x - c||^2 of the chosen centroid.
//
// Determinism: rows are processed in fixed blocks whose partial sums are
// combined in block order, and centroid sums run per cluster, so results do
// not depend on the number of OpenMP threads.
#include "clusterprobe/cluster/kmeans.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kRowBlock = 256;       // rows per GEMM block: ~0.5 MB of floats at d = 512
constexpr Index kCentroidBlock = 512;  // bounds the block x centroids buffer for large k
constexpr Index kSumChunk = 64;        // rows summed in float before joining the double sum

Index num_blocks(Index n) { return (n + kRowBlock - 1) / kRowBlock; }

/// Threads only pay off on large inputs: on a loaded machine every parallel
/// region of a small problem costs more in barriers than it saves.
bool worth_threads(Index n, Index work_per_row) {
  return n >= 2 * kRowBlock && n * work_per_row >= (Index{1} << 20);
}

/// Uniform double in [0, 1) from the raw generator: std::uniform_real_distribution
/// is implementation-defined, and seeds must give the same clustering everywhere.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

/// One independent stream per restart, so restart r is the same whatever the
/// number of restarts (splitmix64 of seed and r).
std::mt19937_64 restart_rng(std::uint64_t seed, int restart) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(restart) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return std::mt19937_64(z ^ (z >> 31));
}

Eigen::RowVectorXf column_mean(const RowMatrixXf& X) {
  Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(X.cols());
  for (Index i = 0; i < X.rows(); ++i) sum += X.row(i).cast<double>();
  if (X.rows() > 0) sum /= static_cast<double>(X.rows());
  return sum.cast<float>();
}

/// Centroids in the centred frame, with their squared norms.
struct Centred {
  RowMatrixXf c;
  Eigen::VectorXf norm2;
};

Centred centre(const RowMatrixXf& centroids, const Eigen::RowVectorXf& mean) {
  Centred out;
  out.c = centroids.rowwise() - mean;
  out.norm2 = out.c.rowwise().squaredNorm();
  return out;
}

/// Nearest centroid of every row; dist2 gets the exact squared distance to it.
/// Returns the per-block sums of dist2 added in block order (in double).
double assign(const RowMatrixXf& X, const Eigen::RowVectorXf& mean, const Centred& C,
              std::int32_t* labels, float* dist2) {
  const Index n = X.rows();
  const Index k = C.c.rows();
  const Index blocks = num_blocks(n);
  std::vector<double> partial(static_cast<std::size_t>(blocks), 0.0);
  [[maybe_unused]] const bool threads = worth_threads(n, X.cols() * (k + 1));
#ifdef _OPENMP
#pragma omp parallel if (threads)
#endif
  {
    RowMatrixXf xb, g;
    Eigen::VectorXf best(kRowBlock);
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
    for (Index b = 0; b < blocks; ++b) {
      const Index r0 = b * kRowBlock;
      const Index rows = std::min(kRowBlock, n - r0);
      xb = X.middleRows(r0, rows).rowwise() - mean;
      best.head(rows).setConstant(std::numeric_limits<float>::infinity());
      std::fill(labels + r0, labels + r0 + rows, 0);  // defined even for NaN rows
      for (Index c0 = 0; c0 < k; c0 += kCentroidBlock) {
        const Index cols = std::min(kCentroidBlock, k - c0);
        g.noalias() = xb * C.c.middleRows(c0, cols).transpose();
        for (Index i = 0; i < rows; ++i) {
          for (Index j = 0; j < cols; ++j) {
            // ||x||^2 is the same for every centroid, so it is left out here.
            const float s = C.norm2[c0 + j] - 2.0f * g(i, j);
            if (s < best[i]) {
              best[i] = s;
              labels[r0 + i] = static_cast<std::int32_t>(c0 + j);
            }
          }
        }
      }
      double sum = 0.0;
      for (Index i = 0; i < rows; ++i) {
        const float d = (xb.row(i) - C.c.row(labels[r0 + i])).squaredNorm();
        dist2[r0 + i] = d;
        sum += d;
      }
      partial[static_cast<std::size_t>(b)] = sum;
    }
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

/// Greedy k-means++: each new centre is the best of `trials` D^2 samples, the
/// one that lowers the potential most (Arthur & Vassilvitskii; sklearn).
RowMatrixXf seed_plus_plus(const RowMatrixXf& X, const Eigen::RowVectorXf& mean,
                           const Eigen::VectorXf& x_norm2, int k, std::mt19937_64& rng) {
  const Index n = X.rows();
  const Index blocks = num_blocks(n);
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  RowMatrixXf centroids(k, X.cols());
  std::vector<double> closest(static_cast<std::size_t>(n));
  std::vector<double> cumsum(static_cast<std::size_t>(n));

  // Squared distances of all rows to the candidate rows (n x t), clamped at 0.
  auto distances_to = [&](const std::vector<Index>& cand, RowMatrixXf& out) {
    RowMatrixXf p(static_cast<Index>(cand.size()), X.cols());
    for (std::size_t t = 0; t < cand.size(); ++t) p.row(t) = X.row(cand[t]) - mean;
    const Eigen::VectorXf p_norm2 = p.rowwise().squaredNorm();
    out.resize(n, p.rows());
    [[maybe_unused]] const bool threads = worth_threads(n, X.cols() * p.rows());
#ifdef _OPENMP
#pragma omp parallel if (threads)
#endif
    {
      RowMatrixXf xb;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
      for (Index b = 0; b < blocks; ++b) {
        const Index r0 = b * kRowBlock;
        const Index rows = std::min(kRowBlock, n - r0);
        xb = X.middleRows(r0, rows).rowwise() - mean;
        out.middleRows(r0, rows).noalias() = -2.0f * (xb * p.transpose());
        for (Index i = 0; i < rows; ++i) {
          for (Index t = 0; t < p.rows(); ++t) {
            out(r0 + i, t) = std::max(0.0f, out(r0 + i, t) + x_norm2[r0 + i] + p_norm2[t]);
          }
        }
      }
    }
  };

  RowMatrixXf d;
  const Index first = std::min<Index>(static_cast<Index>(uniform01(rng) * n), n - 1);
  centroids.row(0) = X.row(first);
  distances_to({first}, d);
  double potential = 0.0;
  for (Index i = 0; i < n; ++i) {
    closest[i] = d(i, 0);
    potential += closest[i];
  }
  std::vector<double> block_pot(static_cast<std::size_t>(blocks));
  for (int c = 1; c < k; ++c) {
    std::partial_sum(closest.begin(), closest.end(), cumsum.begin());
    std::vector<Index> cand(static_cast<std::size_t>(trials));
    for (auto& idx : cand) {
      const double r = uniform01(rng) * potential;
      // upper_bound never picks a row of weight 0 (an existing centre) unless all are.
      idx = std::min<Index>(std::upper_bound(cumsum.begin(), cumsum.end(), r) - cumsum.begin(),
                            n - 1);
    }
    distances_to(cand, d);
    int best_t = 0;
    double best_pot = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      [[maybe_unused]] const bool threads = worth_threads(n, 16);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (threads)
#endif
      for (Index b = 0; b < blocks; ++b) {
        double s = 0.0;
        for (Index i = b * kRowBlock; i < std::min(n, (b + 1) * kRowBlock); ++i) {
          s += std::min(closest[i], static_cast<double>(d(i, t)));
        }
        block_pot[b] = s;
      }
      const double pot = std::accumulate(block_pot.begin(), block_pot.end(), 0.0);
      if (pot < best_pot) {
        best_pot = pot;
        best_t = t;
      }
    }
    centroids.row(c) = X.row(cand[best_t]);
    for (Index i = 0; i < n; ++i) {
      closest[i] = std::min(closest[i], static_cast<double>(d(i, best_t)));
    }
    potential = best_pot;
  }
  return centroids;
}

/// Gives each empty cluster one of the rows farthest from their centroids,
/// taking rows only from clusters that keep at least one member. Returns the
/// inertia removed (the moved rows now sit on their new centroids).
double reseed_empty(std::vector<std::int32_t>& labels, std::vector<float>& dist2,
                    std::vector<Index>& counts) {
  std::vector<int> empty;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) empty.push_back(static_cast<int>(c));
  }
  if (empty.empty()) return 0.0;
  std::vector<Index> order(labels.size());
  std::iota(order.begin(), order.end(), Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Index a, Index b) { return dist2[a] > dist2[b]; });
  double removed = 0.0;
  std::size_t next = 0;
  for (int c : empty) {
    // n >= k guarantees enough rows in clusters of two or more.
    while (counts[labels[order[next]]] < 2) ++next;
    const Index i = order[next++];
    --counts[labels[i]];
    labels[i] = c;
    counts[c] = 1;
    removed += dist2[i];
    dist2[i] = 0.0f;
  }
  return removed;
}

/// Means of the rows of each cluster, summed in double; empty clusters keep
/// their previous centroid.
void update_centroids(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                      const std::vector<Index>& counts, RowMatrixXf& centroids) {
  const Index k = centroids.rows();
  // Rows grouped by cluster (counting sort) so each cluster sums independently.
  std::vector<Index> start(static_cast<std::size_t>(k) + 1, 0);
  for (Index c = 0; c < k; ++c) start[c + 1] = start[c] + counts[c];
  std::vector<Index> members(labels.size());
  std::vector<Index> fill(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < labels.size(); ++i) {
    members[fill[labels[i]]++] = static_cast<Index>(i);
  }
  [[maybe_unused]] const bool threads = k > 1 && worth_threads(X.rows(), X.cols());
#ifdef _OPENMP
#pragma omp parallel if (threads)
#endif
  {
    Eigen::RowVectorXd sum(X.cols());
    Eigen::RowVectorXf chunk(X.cols());
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (Index c = 0; c < k; ++c) {
      if (counts[c] == 0) continue;
      sum.setZero();
      // Float partial sums over short runs, carried in double: converting
      // every element to double would cost as much as the distance GEMM.
      for (Index m0 = start[c]; m0 < start[c + 1]; m0 += kSumChunk) {
        chunk.setZero();
        for (Index m = m0; m < std::min(m0 + kSumChunk, start[c + 1]); ++m) {
          chunk += X.row(members[m]);
        }
        sum += chunk.cast<double>();
      }
      centroids.row(c) = (sum / static_cast<double>(counts[c])).cast<float>();
    }
  }
}

std::vector<Index> count_labels(const std::vector<std::int32_t>& labels, Index k) {
  std::vector<Index> counts(static_cast<std::size_t>(k), 0);
  for (std::int32_t l : labels) ++counts[l];
  return counts;
}

}  // namespace

KMeansResult kmeans(const RowMatrixXf& X, const KMeansParams& params) {
  const Index n = X.rows();
  CP_ASSERT(params.k >= 1 && params.k <= n,
            "k = " + std::to_string(params.k) + " for " + std::to_string(n) + " rows");
  CP_ASSERT(params.restarts >= 1, "restarts = " + std::to_string(params.restarts));
  CP_ASSERT(params.max_iter >= 1, "max_iter = " + std::to_string(params.max_iter));
  CP_ASSERT(X.allFinite(), "the data contain NaN or infinite values");
  const Index k = params.k;
  const Eigen::RowVectorXf mean = column_mean(X);
  Eigen::VectorXf x_norm2(n);
  for (Index i = 0; i < n; ++i) x_norm2[i] = (X.row(i) - mean).squaredNorm();

  KMeansResult best;
  best.inertia = std::numeric_limits<double>::infinity();
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  std::vector<float> dist2(static_cast<std::size_t>(n));
  for (int r = 0; r < params.restarts; ++r) {
    std::mt19937_64 rng = restart_rng(params.seed, r);
    RowMatrixXf centroids = seed_plus_plus(X, mean, x_norm2, params.k, rng);
    double previous = std::numeric_limits<double>::infinity();
    int it = 0;
    while (it < params.max_iter) {
      ++it;
      double inertia = assign(X, mean, centre(centroids, mean), labels.data(), dist2.data());
      std::vector<Index> counts = count_labels(labels, k);
      inertia -= reseed_empty(labels, dist2, counts);
      update_centroids(X, labels, counts, centroids);
      // Lloyd never raises the inertia, so the decrease is >= 0 up to rounding.
      if (std::isfinite(previous) && previous - inertia <= params.tol * previous) break;
      previous = inertia;
    }
    // Final assignment to the final centroids: labels agree with assign_nearest.
    const double inertia = assign(X, mean, centre(centroids, mean), labels.data(), dist2.data());
    if (inertia < best.inertia) {
      best.inertia = inertia;
      best.centroids = centroids;
      best.labels = labels;
      best.iterations = it;
    }
  }
  return best;
}

std::vector<std::int32_t> assign_nearest(const RowMatrixXf& X, const RowMatrixXf& centroids) {
  CP_ASSERT(centroids.rows() >= 1, "no centroids");
  CP_ASSERT(centroids.cols() == X.cols(), "centroids have " + std::to_string(centroids.cols()) +
                                              " columns, data " + std::to_string(X.cols()));
  std::vector<std::int32_t> labels(static_cast<std::size_t>(X.rows()));
  std::vector<float> dist2(static_cast<std::size_t>(X.rows()));
  const Eigen::RowVectorXf mean = column_mean(X);
  assign(X, mean, centre(centroids, mean), labels.data(), dist2.data());
  return labels;
}

}  // namespace cp
