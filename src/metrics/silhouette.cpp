// Silhouette coefficient (sklearn 1.2 semantics; see the header).
//
// Rows are first grouped by cluster, so the distances from one row to a
// cluster are one contiguous run of a distance block and every row's work is
// a fixed sequence of operations: the result does not depend on the thread
// count (Eigen's own GEMM threading, whose blocking changes the rounding, is
// switched off inside our parallel regions).
#include "clusterprobe/metrics/silhouette.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kRowBlock = 256;   // rows of one distance block
constexpr Index kColBlock = 1024;  // columns of one distance block: 2 MB of doubles

enum class Metric { kEuclidean, kCosine };

Metric parse_metric(const std::string& name) {
  if (name == "euclidean") return Metric::kEuclidean;
  if (name == "cosine") return Metric::kCosine;
  CP_THROW_INTERNAL("unknown silhouette metric '" + name + "' (euclidean, cosine)");
}

void eigen_on_one_thread() {
#ifdef _OPENMP
  omp_set_num_threads(1);  // this region's implicit task only
#endif
}

/// The rows taking part, grouped by cluster: position p holds row order[p];
/// cluster c occupies positions [start[c], start[c + 1]).
struct Grouped {
  std::vector<Index> order;
  std::vector<Index> start;
  std::vector<std::int32_t> cluster;  ///< cluster of each position
  Index clusters() const { return static_cast<Index>(start.size()) - 1; }
  Index count(Index c) const { return start[c + 1] - start[c]; }
};

Grouped group(const std::vector<std::int32_t>& labels, const std::vector<Index>& rows) {
  std::vector<std::int32_t> values;
  values.reserve(rows.size());
  for (Index r : rows) values.push_back(labels[r]);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  const auto n = static_cast<Index>(rows.size());
  const auto n_labels = static_cast<Index>(values.size());
  // sklearn's check_number_of_labels: 1 < n_labels < n_samples.
  if (n_labels < 2 || n_labels > n - 1) {
    CP_THROW_INTERNAL("silhouette: number of labels is " + std::to_string(n_labels) +
                      ". Valid values are 2 to n_samples - 1 (inclusive), n_samples = " +
                      std::to_string(n));
  }
  std::vector<std::int32_t> id(rows.size());
  Grouped g;
  g.start.assign(static_cast<std::size_t>(n_labels) + 1, 0);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    id[i] = static_cast<std::int32_t>(
        std::lower_bound(values.begin(), values.end(), labels[rows[i]]) - values.begin());
    ++g.start[id[i] + 1];
  }
  std::partial_sum(g.start.begin(), g.start.end(), g.start.begin());
  g.order.resize(rows.size());
  g.cluster.resize(rows.size());
  std::vector<Index> fill(g.start.begin(), g.start.end() - 1);
  for (std::size_t i = 0; i < rows.size(); ++i) {  // stable: rows keep their order in a cluster
    const Index p = fill[id[i]]++;
    g.order[p] = rows[i];
    g.cluster[p] = id[i];
  }
  return g;
}

/// Rows at positions [p0, p0 + out.rows()) in double, centred (euclidean) or
/// normalised (cosine; zero rows stay zero).
void load(const RowMatrixXf& X, const Grouped& g, Index p0, const Eigen::RowVectorXd& shift,
          const Eigen::VectorXd& scale, RowMatrixXd& out) {
  for (Index i = 0; i < out.rows(); ++i) {
    out.row(i) = (X.row(g.order[p0 + i]).cast<double>() - shift) * scale[p0 + i];
  }
}

/// sklearn's coefficient from the sum of distances to the own cluster and the
/// smallest mean distance to another cluster; NaN cases become 0.
double coefficient(double intra_sum, Index own_count, double inter_mean) {
  if (own_count <= 1) return 0.0;  // singleton: 0/0 in sklearn, then nan_to_num
  const double a = intra_sum / static_cast<double>(own_count - 1);
  const double denominator = std::max(a, inter_mean);
  return denominator > 0.0 ? (inter_mean - a) / denominator : 0.0;
}

/// Silhouette of every position from the per-cluster distance sums of one
/// row block (sums(i, c) = sum of distances from row p0 + i to cluster c).
void finish_block(const Grouped& g, Index p0, const RowMatrixXd& sums, std::vector<double>& s) {
  for (Index i = 0; i < sums.rows(); ++i) {
    const Index own = g.cluster[p0 + i];
    double inter = std::numeric_limits<double>::infinity();
    for (Index c = 0; c < g.clusters(); ++c) {
      if (c != own) inter = std::min(inter, sums(i, c) / static_cast<double>(g.count(c)));
    }
    s[p0 + i] = coefficient(sums(i, own), g.count(own), inter);
  }
}

/// Euclidean: distance blocks from double GEMMs on rows centred on their
/// mean (translation-invariant, and it keeps ||x||^2 + ||y||^2 - 2 x.y from
/// cancelling when the data sit far from the origin).
void euclidean(const RowMatrixXf& X, const Grouped& g, std::vector<double>& s) {
  const auto n = static_cast<Index>(g.order.size());
  Eigen::RowVectorXd mean = Eigen::RowVectorXd::Zero(X.cols());
  for (Index r : g.order) mean += X.row(r).cast<double>();
  mean /= static_cast<double>(n);
  const Eigen::VectorXd ones = Eigen::VectorXd::Ones(n);
  Eigen::VectorXd norm2(n);
  for (Index p = 0; p < n; ++p) norm2[p] = (X.row(g.order[p]).cast<double>() - mean).squaredNorm();
  const Index blocks = (n + kRowBlock - 1) / kRowBlock;
#ifdef _OPENMP
#pragma omp parallel if (n >= 2 * kRowBlock)
#endif
  {
    eigen_on_one_thread();
    RowMatrixXd a, b, dot, sums;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (Index blk = 0; blk < blocks; ++blk) {
      const Index p0 = blk * kRowBlock, rows = std::min(kRowBlock, n - p0);
      a.resize(rows, X.cols());
      load(X, g, p0, mean, ones, a);
      sums.setZero(rows, g.clusters());
      for (Index q0 = 0; q0 < n; q0 += kColBlock) {
        const Index cols = std::min(kColBlock, n - q0);
        b.resize(cols, X.cols());
        load(X, g, q0, mean, ones, b);
        dot.noalias() = a * b.transpose();
        for (Index i = 0; i < rows; ++i) {
          // Runs of one cluster inside this column block.
          for (Index q = q0; q < q0 + cols;) {
            const Index c = g.cluster[q];
            const Index q_end = std::min(q0 + cols, g.start[c + 1]);
            double sum = 0.0;
            for (Index j = q; j < q_end; ++j) {
              const double d2 = norm2[p0 + i] + norm2[j] - 2.0 * dot(i, j - q0);
              // A row's distance to itself is exactly 0, as sklearn zeroes the diagonal.
              sum += (j == p0 + i) ? 0.0 : std::sqrt(std::max(d2, 0.0));
            }
            sums(i, c) += sum;
            q = q_end;
          }
        }
      }
      finish_block(g, p0, sums, s);
    }
  }
}

/// Cosine: 1 - u.v for unit rows u, v is linear in v, so the distances from u
/// to cluster c sum to |c| - u.S_c with S_c the sum of c's unit rows, and
/// the distance of u to itself (1 - u.u) is taken back out of its own sum.
void cosine(const RowMatrixXf& X, const Grouped& g, std::vector<double>& s) {
  const auto n = static_cast<Index>(g.order.size());
  const Eigen::RowVectorXd zero = Eigen::RowVectorXd::Zero(X.cols());
  Eigen::VectorXd inv_norm(n);
  for (Index p = 0; p < n; ++p) {
    const double norm = X.row(g.order[p]).cast<double>().norm();
    inv_norm[p] = norm > 0.0 ? 1.0 / norm : 0.0;  // a zero row stays zero, as sklearn's normalize
  }
  RowMatrixXd cluster_sums = RowMatrixXd::Zero(g.clusters(), X.cols());
  {
    RowMatrixXd unit(1, X.cols());
    for (Index p = 0; p < n; ++p) {
      load(X, g, p, zero, inv_norm, unit);
      cluster_sums.row(g.cluster[p]) += unit.row(0);
    }
  }
  const Index blocks = (n + kRowBlock - 1) / kRowBlock;
#ifdef _OPENMP
#pragma omp parallel if (n >= 2 * kRowBlock && n * X.cols() * g.clusters() >= (Index{1} << 22))
#endif
  {
    eigen_on_one_thread();
    RowMatrixXd a, sums;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
    for (Index blk = 0; blk < blocks; ++blk) {
      const Index p0 = blk * kRowBlock, rows = std::min(kRowBlock, n - p0);
      a.resize(rows, X.cols());
      load(X, g, p0, zero, inv_norm, a);
      sums.noalias() = -a * cluster_sums.transpose();
      for (Index i = 0; i < rows; ++i) {
        const Index own = g.cluster[p0 + i];
        for (Index c = 0; c < g.clusters(); ++c) {
          // Each distance lies in [0, 2]; clamp what rounding pushed outside.
          const double count = static_cast<double>(g.count(c));
          double sum = count + sums(i, c);
          if (c == own) sum -= 1.0 - a.row(i).squaredNorm();
          sums(i, c) = std::clamp(sum, 0.0, 2.0 * count);
        }
      }
      finish_block(g, p0, sums, s);
    }
  }
}

/// Uniform integer in [0, bound) from the raw generator (rejection sampling):
/// std::uniform_int_distribution differs between standard libraries.
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t bound) {
  const std::uint64_t threshold = (0 - bound) % bound;  // 2^64 mod bound
  for (;;) {
    const std::uint64_t r = rng();
    if (r >= threshold) return r % bound;
  }
}

/// m of the n rows, uniformly without replacement (partial Fisher-Yates), sorted.
std::vector<Index> sample_rows(Index n, Index m, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Index> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), Index{0});
  for (Index i = 0; i < m; ++i) {
    const auto j = i + static_cast<Index>(uniform_below(rng, static_cast<std::uint64_t>(n - i)));
    std::swap(rows[i], rows[j]);
  }
  rows.resize(static_cast<std::size_t>(m));
  std::sort(rows.begin(), rows.end());
  return rows;
}

/// Silhouette of each of `rows` (in the order given).
std::vector<double> samples_of(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                               const std::string& metric, const std::vector<Index>& rows) {
  const Metric m = parse_metric(metric);
  CP_ASSERT(labels.size() == static_cast<std::size_t>(X.rows()),
            std::to_string(labels.size()) + " labels for " + std::to_string(X.rows()) + " rows");
  CP_ASSERT(X.allFinite(), "silhouette: the data contain NaN or infinite values");
  const Grouped g = group(labels, rows);
  std::vector<double> by_position(rows.size());
  if (m == Metric::kEuclidean) {
    euclidean(X, g, by_position);
  } else {
    cosine(X, g, by_position);
  }
  // Back from cluster order to the order of `rows` (both list rows ascending within a cluster).
  std::vector<Index> index_of(static_cast<std::size_t>(X.rows()), -1);
  for (std::size_t i = 0; i < rows.size(); ++i) index_of[rows[i]] = static_cast<Index>(i);
  std::vector<double> out(rows.size());
  for (std::size_t p = 0; p < rows.size(); ++p) out[index_of[g.order[p]]] = by_position[p];
  return out;
}

}  // namespace

std::vector<double> silhouette_samples(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                                       const std::string& metric) {
  std::vector<Index> rows(static_cast<std::size_t>(X.rows()));
  std::iota(rows.begin(), rows.end(), Index{0});
  return samples_of(X, labels, metric, rows);
}

std::vector<std::int64_t> silhouette_sample(std::int64_t n, std::int64_t m, std::uint64_t seed) {
  std::vector<std::int64_t> rows(static_cast<std::size_t>(std::max<std::int64_t>(n, 0)));
  std::iota(rows.begin(), rows.end(), std::int64_t{0});
  if (m >= n) return rows;
  const auto picked = sample_rows(n, std::max<std::int64_t>(m, 0), seed);
  return {picked.begin(), picked.end()};
}

double silhouette(const RowMatrixXf& X, const std::vector<std::int32_t>& labels,
                  const std::string& metric, std::int64_t max_points, std::uint64_t seed,
                  std::int64_t* points_used) {
  const Index n = X.rows();
  std::vector<Index> rows;
  if (max_points > 0 && n > max_points) {
    rows = sample_rows(n, max_points, seed);
  } else {
    rows.resize(static_cast<std::size_t>(n));
    std::iota(rows.begin(), rows.end(), Index{0});
  }
  const std::vector<double> s = samples_of(X, labels, metric, rows);
  if (points_used) *points_used = static_cast<std::int64_t>(rows.size());
  return std::accumulate(s.begin(), s.end(), 0.0) / static_cast<double>(s.size());
}

}  // namespace cp
