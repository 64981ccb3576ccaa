// Lloyd k-means over the rows of one part of a RowPartition: restarts,
// assignment, empty-cluster re-seeding, centroid update, stopping rule. The
// k-means++ seeding is in lloyd_seed.cpp, the shared block layout in
// lloyd_blocks.hpp.
//
// Numerics: ||x||^2 - 2 x.c + ||c||^2 in float cancels badly when the data sit
// far from the origin (ReLU activations do), so rows are centred on the global
// column mean before every GEMM, as scikit-learn centres X. The inertia uses
// the exact ||x - c||^2 of the chosen centroid.
//
// A row gets the same bits whichever part holds it and however many threads
// run, because:
//  - GEMMs run on blocks of kRowBlock rows laid on the *global* row grid, and
//    a part's partial first and last blocks are padded with zero rows: Eigen's
//    GEMM rounds a row differently with the block's row count and the row's
//    position in it (measured: every partial block differed somewhere);
//  - Eigen is held to one thread inside our parallel regions: its own GEMM
//    threading changes the depth blocking, hence the rounding;
//  - partial sums are per block and combined in block order;
//  - the centroid sums are exact (ClusterSums), so neither their order nor
//    the parts matter.
// What differs between partitions is only the rounding of the sums that cross
// parts (column mean, inertia, seeding potential), ~1e-16 relative: far below
// what changes an assignment in practice.
#include "lloyd.hpp"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "dot_panel.hpp"
#include "lloyd_blocks.hpp"

namespace cp::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/// One independent stream per restart, so restart r is the same whatever the
/// number of restarts (splitmix64 of seed and r).
std::mt19937_64 restart_rng(std::uint64_t seed, int restart) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ULL * (static_cast<std::uint64_t>(restart) + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return std::mt19937_64(z ^ (z >> 31));
}

Eigen::RowVectorXf global_mean(const RowMatrixXf& X, Index cols, RowPartition& part) {
  Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(cols);
  for (Index i = 0; i < X.rows(); ++i) sum += X.row(i).cast<double>();
  part.sum(sum.data(), static_cast<std::size_t>(cols));
  if (part.global_rows() > 0) sum /= static_cast<double>(part.global_rows());
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

/// The sums of each cluster's centred rows, exact: every value is rounded to
/// a multiple of 2^-e of its column, with e chosen so that the sum of all
/// rows' values, as integers times 2^-e, stays below 2^51 in magnitude. Each
/// sum is then an integer held exactly in a double, the same whichever order
/// the rows, threads and parts add them in. The rounding is 2^-51 of the
/// column's largest value per row, below float precision. Filled while the
/// assignment step has each row in cache: one pass over the data per Lloyd
/// iteration.
struct ClusterSums {
  Eigen::VectorXd scale;  ///< 2^e per column
  RowMatrixXd sums;       ///< k x d, in units of 2^-e

  /// Collective over the partition: the scales of X's centred columns.
  ClusterSums(const RowMatrixXf& X, const Eigen::RowVectorXf& mean, RowPartition& part) {
    const Index d = mean.size();
    Eigen::RowVectorXf largest = Eigen::RowVectorXf::Zero(d);
    for (Index i = 0; i < X.rows(); ++i) largest = largest.cwiseMax((X.row(i) - mean).cwiseAbs());
    // The global largest exponent as the minimum of its negation (an exact reduction).
    std::vector<std::int64_t> neg_exponent(static_cast<std::size_t>(d));
    for (Index j = 0; j < d; ++j) neg_exponent[j] = largest[j] > 0 ? -std::ilogb(largest[j]) : 1000;
    part.min(neg_exponent.data(), neg_exponent.size());
    const int headroom = static_cast<int>(std::ceil(std::log2(static_cast<double>(part.global_rows()) + 1.0)));
    scale.resize(d);
    // |value| < 2^(exponent + 1), so |value * scale| < 2^(50 - headroom) and n of them < 2^50.
    for (Index j = 0; j < d; ++j)
      scale[j] = neg_exponent[j] == 1000 ? 1.0 : std::ldexp(1.0, 49 - headroom + static_cast<int>(neg_exponent[j]));
  }

  void move(const RowMatrixXf& X, const Eigen::RowVectorXf& mean, Index row, Index from, Index to) {
    const Eigen::RowVectorXf centred = X.row(row) - mean;
    RowMatrixXd one = RowMatrixXd::Zero(1, centred.size());
    add_rounded(one.data(), centred.data(), scale.data(), centred.size());
    sums.row(from) -= one;
    sums.row(to) += one;
  }
};

/// Nearest centroid of every row; dist2 gets the exact squared distance to it.
/// Returns this part's sum of dist2 (block sums added in block order). With
/// `sums`, also adds each row to its cluster's sum (sums->sums is zero on entry).
/// `centred` (optional): X - mean, made once, which spares a vector kernel the
/// copy of every block (the same bits as that copy).
double assign(const RowMatrixXf& X, const BlockGrid& grid, const Eigen::RowVectorXf& mean,
              const Centred& C, std::int32_t* labels, float* dist2, ClusterSums* sums = nullptr,
              const RowMatrixXf* centred = nullptr) {
  const Index k = C.c.rows();
  const DotPanel panel(C.c);
  std::vector<double> partial(static_cast<std::size_t>(grid.blocks()), 0.0);
  [[maybe_unused]] const bool threads = worth_threads(X.rows(), X.cols() * (k + 1));
#ifdef _OPENMP
#pragma omp parallel if (threads)
#endif
  {
    eigen_on_one_thread();
    RowMatrixXf xb, g;
    RowMatrixXd mine;  // this thread's cluster sums
    if (sums) mine = RowMatrixXd::Zero(k, X.cols());
#ifdef _OPENMP
#pragma omp for schedule(static) nowait
#endif
    for (Index b = 0; b < grid.blocks(); ++b) {
      const Index r0 = grid.begin(b), rows = grid.end(b) - r0;
      Index slot = 0;
      const float* x = nullptr;
      if (centred && panel.vector_kernel()) {
        x = centred->row(r0).data();
        panel.dots(x, rows, X.cols(), g);
      } else {
        slot = grid.slot(b);
        load_block(X, mean, r0, rows, slot, xb);
        x = xb.row(slot).data();
        panel.dots(xb, g);
      }
      // ||x||^2 is the same for every centroid, so the panel leaves it out.
      panel.nearest(g, slot, rows, labels + r0);
      partial[static_cast<std::size_t>(b)] =
          finish_rows(x, rows, X.cols(), C.c.data(), labels + r0, dist2 + r0, sums ? mine.data() : nullptr,
                      sums ? sums->scale.data() : nullptr);
    }
    if (sums) {
#ifdef _OPENMP
#pragma omp critical
#endif
      sums->sums += mine;  // exact, so in any order
    }
  }
  return std::accumulate(partial.begin(), partial.end(), 0.0);
}

std::vector<std::int64_t> count_labels(const std::vector<std::int32_t>& labels, Index k) {
  std::vector<std::int64_t> counts(static_cast<std::size_t>(k), 0);
  for (std::int32_t l : labels) ++counts[l];
  return counts;
}

/// Gives each empty cluster, in order, the farthest row (from its centroid)
/// among clusters that keep at least one member; counts are global. Returns
/// the inertia removed (the moved rows now sit on their new centroids).
double reseed_empty(const RowMatrixXf& X, const Eigen::RowVectorXf& mean, std::vector<std::int32_t>& labels,
                    std::vector<float>& dist2, std::vector<std::int64_t>& counts, ClusterSums& sums,
                    RowPartition& part) {
  double removed = 0.0;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] != 0) continue;
    Farthest mine;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      // Strictly farther: the smallest row wins ties. A row moved earlier has
      // dist2 0 and a cluster of one, so it is never taken twice.
      if (counts[labels[i]] >= 2 && (mine.index < 0 || dist2[i] > mine.dist2)) {
        mine = {dist2[i], part.first_row() + static_cast<std::int64_t>(i), labels[i]};
      }
    }
    const Farthest win = part.farthest(mine);
    CP_ASSERT(win.index >= 0, "no row left to re-seed an empty cluster");  // k <= rows prevents it
    const std::int64_t local = win.index - part.first_row();
    if (local >= 0 && local < static_cast<std::int64_t>(labels.size())) {
      sums.move(X, mean, static_cast<Index>(local), labels[local], static_cast<Index>(c));
      labels[local] = static_cast<std::int32_t>(c);
      dist2[local] = 0.0f;
    }
    --counts[win.label];
    counts[c] = 1;
    removed += win.dist2;
  }
  return removed;
}

/// Means of the rows of each cluster (global counts) from their exact sums;
/// clusters with no rows keep their previous centroid.
void update_centroids(ClusterSums& sums, const std::vector<std::int64_t>& counts,
                      const Eigen::RowVectorXf& mean, RowMatrixXf& centroids, RowPartition& part) {
  part.sum(sums.sums.data(), static_cast<std::size_t>(sums.sums.size()));
  const Eigen::RowVectorXd unit = sums.scale.cwiseInverse().transpose();
  for (Index c = 0; c < centroids.rows(); ++c) {
    if (counts[c] > 0) {
      centroids.row(c) = (mean.cast<double>() + sums.sums.row(c).cwiseProduct(unit) / static_cast<double>(counts[c]))
                             .cast<float>();
    }
  }
}

/// Rows k-means++ seeds from (KMeansParams::seeding_rows): 0 for all of them.
std::int64_t seeding_sample(const KMeansParams& params, std::int64_t rows, Index cols) {
  std::int64_t m = params.seeding_rows;
  const std::int64_t k = params.k;
  if (m == 0) {
    // A sample replicated on every part: at most 2^25 floats (128 MB).
    m = std::min<std::int64_t>(256 * k, (std::int64_t{1} << 25) / std::max<Index>(cols, 1));
    // Below half the rows the saving is small: seed from all of them.
    if (m < 64 * k || 2 * m > rows) return 0;
  }
  return m > 0 && m >= k && m < rows ? m : 0;
}

/// m of the global rows [0, n), uniformly, ascending (Knuth's selection
/// sampling), from rng: the same on every part.
std::vector<std::int64_t> sample_rows(std::int64_t n, std::int64_t m, std::mt19937_64& rng) {
  std::vector<std::int64_t> rows;
  rows.reserve(static_cast<std::size_t>(m));
  for (std::int64_t i = 0; i < n && static_cast<std::int64_t>(rows.size()) < m; ++i) {
    const auto left = static_cast<double>(m - static_cast<std::int64_t>(rows.size()));
    if (uniform01(rng) * static_cast<double>(n - i) < left) rows.push_back(i);
  }
  return rows;
}

}  // namespace

void SerialPartition::fetch_row(std::int64_t row, const RowMatrixXf& local_rows, float* out) {
  Eigen::Map<Eigen::RowVectorXf>(out, local_rows.cols()) = local_rows.row(row);
}

RowMatrixXf SerialPartition::gather_rows(const std::vector<std::int64_t>& rows, const RowMatrixXf& local_rows) {
  RowMatrixXf out(static_cast<Index>(rows.size()), local_rows.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Index>(i)) = local_rows.row(rows[i]);
  return out;
}

std::string lloyd_input_error(const RowMatrixXf& local_rows, Eigen::Index cols,
                              const KMeansParams& params, const RowMatrixXf* initial,
                              std::int64_t global_rows) {
  const auto str = [](auto v) { return std::to_string(v); };
  if (local_rows.rows() > 0 && local_rows.cols() != cols) {
    return "rows have " + str(local_rows.cols()) + " columns, expected " + str(cols);
  }
  const std::int64_t k = initial ? initial->rows() : params.k;
  if (k < 1 || k > global_rows) return "k = " + str(k) + " for " + str(global_rows) + " rows";
  if (initial && initial->cols() != cols) {
    return "initial centroids have " + str(initial->cols()) + " columns, data " + str(cols);
  }
  if (initial && !all_finite(*initial)) return "the initial centroids contain NaN or infinity";
  if (!initial && params.restarts < 1) return "restarts = " + str(params.restarts);
  if (params.max_iter < 1) return "max_iter = " + str(params.max_iter);
  if (!all_finite(local_rows)) return "the data contain NaN or infinite values";
  return "";
}

namespace {

/// One k-means problem made ready for its restarts: the mean, the exact-sum
/// scales, the seeding sample size, the centred rows. Collective over the
/// partition, as is restart().
class LloydRun {
 public:
  LloydRun(const RowMatrixXf& X, const KMeansParams& params, const RowMatrixXf* initial, RowPartition& part)
      : X_(X), params_(params), initial_(initial), part_(part), k_(initial ? initial->rows() : params.k),
        runs_(initial ? 1 : params.restarts), grid_(part.first_row(), X.rows()),
        mean_(global_mean(X, initial ? initial->cols() : X.cols(), part)),
        sample_(initial ? 0 : seeding_sample(params, part.global_rows(), mean_.size())), scales_(X, mean_, part) {
    // Only seeding from all rows needs the norms.
    if (!initial && sample_ == 0) x_norm2_ = (X.rowwise() - mean_).rowwise().squaredNorm();
    // A matrix in one part, up to 64 MB: centred once for all restarts and
    // iterations instead of block by block.
    if (part.serial() && X.size() <= (Index{1} << 24)) centred_ = X.rowwise() - mean_;
  }

  int runs() const { return runs_; }
  /// The work of one Lloyd iteration, to order restarts by.
  double cost() const { return static_cast<double>(X_.rows()) * static_cast<double>(X_.cols()) * (k_ + 1); }
  bool serial() const { return part_.serial(); }

  /// Restart r: seeding (unless `initial`), Lloyd iterations, the final
  /// assignment. It owns its buffers, so restarts may run side by side.
  KMeansResult restart(int r) const {
    const Index n = X_.rows();
    std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
    std::vector<float> dist2(static_cast<std::size_t>(n));
    ClusterSums sums = scales_;
    const RowMatrixXf* centred = centred_.size() > 0 ? &centred_ : nullptr;
    auto global_assign = [&](const RowMatrixXf& centroids, ClusterSums* with_sums) {
      double inertia =
          assign(X_, grid_, mean_, centre(centroids, mean_), labels.data(), dist2.data(), with_sums, centred);
      part_.sum(&inertia, 1);
      return inertia;
    };
    RowMatrixXf centroids;
    if (initial_) {
      centroids = *initial_;
    } else {
      std::mt19937_64 rng = restart_rng(params_.seed, r);
      if (sample_ > 0) {
        // Every part draws the same sample and seeds from it alone, the same way.
        const RowMatrixXf S = part_.gather_rows(sample_rows(part_.global_rows(), sample_, rng), X_);
        SerialPartition whole(S.rows());
        const Eigen::VectorXf s_norm2 = (S.rowwise() - mean_).rowwise().squaredNorm();
        centroids = seed_plus_plus(S, BlockGrid(0, S.rows()), mean_, s_norm2, params_.k, rng, whole);
      } else {
        centroids = seed_plus_plus(X_, grid_, mean_, x_norm2_, params_.k, rng, part_, centred);
      }
    }
    double previous = kInf;
    int it = 0;
    while (it < params_.max_iter) {
      ++it;
      sums.sums.setZero(k_, X_.cols());
      double inertia = global_assign(centroids, &sums);
      std::vector<std::int64_t> counts = count_labels(labels, k_);
      part_.sum(counts.data(), counts.size());
      inertia -= reseed_empty(X_, mean_, labels, dist2, counts, sums, part_);
      update_centroids(sums, counts, mean_, centroids, part_);
      // Lloyd never raises the inertia, so the decrease is >= 0 up to rounding.
      if (std::isfinite(previous) && previous - inertia <= params_.tol * previous) break;
      previous = inertia;
    }
    KMeansResult out;
    // Final assignment to the final centroids: labels agree with assign_nearest.
    out.inertia = global_assign(centroids, nullptr);
    out.centroids = std::move(centroids);
    out.labels = std::move(labels);
    out.iterations = it;
    return out;
  }

 private:
  const RowMatrixXf& X_;
  const KMeansParams params_;
  const RowMatrixXf* initial_;
  RowPartition& part_;
  const Index k_;
  const int runs_;
  const BlockGrid grid_;
  const Eigen::RowVectorXf mean_;
  const std::int64_t sample_;
  const ClusterSums scales_;
  Eigen::VectorXf x_norm2_;
  RowMatrixXf centred_;
};

/// Every restart of every problem; with `side_by_side`, as one pool of tasks
/// on the threads, the most expensive first, each restart on one thread
/// (nested regions get one). Returns each problem's lowest inertia, the first
/// restart among equal ones: the same whichever way they ran.
std::vector<KMeansResult> best_restarts(const std::vector<const LloydRun*>& problems, bool side_by_side) {
  std::vector<std::pair<std::size_t, int>> tasks;  // (problem, restart)
  for (std::size_t p = 0; p < problems.size(); ++p)
    for (int r = 0; r < problems[p]->runs(); ++r) tasks.emplace_back(p, r);
  std::stable_sort(tasks.begin(), tasks.end(), [&](const auto& a, const auto& b) {
    return problems[a.first]->cost() > problems[b.first]->cost();
  });
  std::vector<std::vector<KMeansResult>> results(problems.size());
  for (std::size_t p = 0; p < problems.size(); ++p) results[p].resize(static_cast<std::size_t>(problems[p]->runs()));
  std::exception_ptr failure;
  [[maybe_unused]] const bool threads = side_by_side && tasks.size() > 1;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if (threads)
#endif
  for (std::size_t t = 0; t < tasks.size(); ++t) {
    const auto [p, r] = tasks[t];
    try {
      results[p][static_cast<std::size_t>(r)] = problems[p]->restart(r);
    } catch (...) {
#ifdef _OPENMP
#pragma omp critical
#endif
      failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
  std::vector<KMeansResult> best;
  for (auto& runs : results) {
    std::size_t b = 0;
    for (std::size_t r = 1; r < runs.size(); ++r)
      if (runs[r].inertia < runs[b].inertia) b = r;
    best.push_back(std::move(runs[b]));
  }
  return best;
}

}  // namespace

KMeansResult run_lloyd(const RowMatrixXf& X, const KMeansParams& params,
                       const RowMatrixXf* initial, RowPartition& part) {
  const LloydRun run(X, params, initial, part);
  // Small problems in one part: the restarts side by side, where threads
  // inside one restart would mostly wait at barriers.
  return std::move(best_restarts({&run}, run.runs() > 1 && run.serial() && run.cost() < 0x1p25)[0]);
}

std::vector<KMeansResult> run_lloyd_each(const std::vector<const RowMatrixXf*>& X,
                                         const std::vector<KMeansParams>& params) {
  std::vector<std::unique_ptr<SerialPartition>> parts;
  std::vector<std::unique_ptr<LloydRun>> runs;
  std::vector<const LloydRun*> problems;
  for (std::size_t i = 0; i < X.size(); ++i) {
    parts.push_back(std::make_unique<SerialPartition>(X[i]->rows()));
    runs.push_back(std::make_unique<LloydRun>(*X[i], params[i], nullptr, *parts.back()));
    problems.push_back(runs.back().get());
  }
  return best_restarts(problems, true);
}

std::vector<std::int32_t> nearest_centroids(const RowMatrixXf& X, const RowMatrixXf& centroids) {
  SerialPartition part(X.rows());
  const Eigen::RowVectorXf mean = global_mean(X, X.cols(), part);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(X.rows()));
  std::vector<float> dist2(static_cast<std::size_t>(X.rows()));
  assign(X, BlockGrid(0, X.rows()), mean, centre(centroids, mean), labels.data(), dist2.data());
  return labels;
}

}  // namespace cp::detail
