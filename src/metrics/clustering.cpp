// External clustering metrics. The formulas, the order of operations and the
// special cases follow scikit-learn 1.2 (sklearn/metrics/cluster/_supervised.py
// and _expected_mutual_info_fast.pyx) so that values agree to ~1e-12; the
// linear sum assignment is the shortest-augmenting-path method of Crouse
// (2016), the one scipy.optimize.linear_sum_assignment uses.
#include "clusterprobe/metrics/clustering.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

// Pair counts reach n^2 and ARI multiplies two of them: int64 overflows past
// n ~ 55k, so the products are exact in 128 bits (n up to ~3e9).
__extension__ typedef __int128 Int128;

/// Dense ids 0..classes-1 in increasing order of the original label value.
struct Compacted {
  std::vector<std::int32_t> ids;
  std::vector<std::int32_t> values;  ///< original label of each id
};

Compacted compact(const std::vector<std::int32_t>& labels) {
  Compacted out;
  out.values = labels;
  std::sort(out.values.begin(), out.values.end());
  out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
  out.ids.resize(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out.ids[i] = static_cast<std::int32_t>(
        std::lower_bound(out.values.begin(), out.values.end(), labels[i]) - out.values.begin());
  }
  return out;
}

/// Sparse contingency table: only nonzero cells are kept, because singleton
/// labelings (n classes x n clusters) would not fit densely.
struct Contingency {
  std::int64_t n = 0;
  std::vector<std::int64_t> a;  ///< row (truth class) sums
  std::vector<std::int64_t> b;  ///< column (cluster) sums
  struct Cell {
    std::int32_t row, col;
    std::int64_t count;
  };
  std::vector<Cell> cells;
};

Contingency contingency(const std::vector<std::int32_t>& truth,
                        const std::vector<std::int32_t>& pred) {
  CP_ASSERT(truth.size() == pred.size(),
            "label vectors differ in length: " + std::to_string(truth.size()) + " vs " +
                std::to_string(pred.size()));
  const Compacted t = compact(truth);
  const Compacted p = compact(pred);
  Contingency c;
  c.n = static_cast<std::int64_t>(truth.size());
  c.a.assign(t.values.size(), 0);
  c.b.assign(p.values.size(), 0);
  const std::int64_t cols = static_cast<std::int64_t>(p.values.size());
  std::vector<std::int64_t> keys(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    keys[i] = t.ids[i] * cols + p.ids[i];
    ++c.a[t.ids[i]];
    ++c.b[p.ids[i]];
  }
  std::sort(keys.begin(), keys.end());
  for (std::size_t i = 0; i < keys.size();) {
    std::size_t j = i;
    while (j < keys.size() && keys[j] == keys[i]) ++j;
    c.cells.push_back({static_cast<std::int32_t>(keys[i] / cols),
                       static_cast<std::int32_t>(keys[i] % cols),
                       static_cast<std::int64_t>(j - i)});
    i = j;
  }
  return c;
}

bool trivially_perfect(const Contingency& c) {
  // sklearn: both labelings a single cluster, or both empty, is a perfect match.
  return (c.a.size() == 1 && c.b.size() == 1) || c.n == 0;
}

double mutual_info(const Contingency& c) {
  if (c.a.size() == 1 || c.b.size() == 1) return 0.0;
  const double n = static_cast<double>(c.n);
  const double log_n = std::log(n);
  double mi = 0.0;
  for (const auto& cell : c.cells) {
    const double c_nm = static_cast<double>(cell.count) / n;
    const std::int64_t outer = c.a[cell.row] * c.b[cell.col];
    const double log_outer = -std::log(static_cast<double>(outer)) + log_n + log_n;
    double term = c_nm * (std::log(static_cast<double>(cell.count)) - log_n) + c_nm * log_outer;
    if (std::abs(term) < DBL_EPSILON) term = 0.0;
    mi += term;
  }
  return std::max(mi, 0.0);
}

double entropy(const std::vector<std::int64_t>& sizes, std::int64_t n) {
  if (n == 0) return 1.0;
  if (sizes.size() == 1) return 0.0;
  const double log_n = std::log(static_cast<double>(n));
  double h = 0.0;
  for (std::int64_t s : sizes) {
    const double p = static_cast<double>(s);
    h += (p / static_cast<double>(n)) * (std::log(p) - log_n);
  }
  return -h;
}

/// Distinct values with their multiplicities: the EMI term of a (row, column)
/// pair depends only on the two sums, and balanced data repeats them a lot.
std::vector<std::pair<std::int64_t, std::int64_t>> value_counts(std::vector<std::int64_t> v) {
  std::sort(v.begin(), v.end());
  std::vector<std::pair<std::int64_t, std::int64_t>> out;
  for (std::int64_t x : v) {
    if (!out.empty() && out.back().first == x) {
      ++out.back().second;
    } else {
      out.emplace_back(x, 1);
    }
  }
  return out;
}

/// Expected mutual information under the hypergeometric model, term by term as
/// sklearn 1.2 computes it; work is sum over distinct (a, b) of min(a, b).
double expected_mutual_info(const Contingency& c) {
  if (c.a.size() == 1 || c.b.size() == 1) return 0.0;
  const std::int64_t n = c.n;
  const double nd = static_cast<double>(n);
  // lgf[k] = lgamma(k + 1) and logk[k] = log(k) for every count that can occur.
  std::vector<double> lgf(static_cast<std::size_t>(n) + 1);
  std::vector<double> logk(static_cast<std::size_t>(n) + 1, 0.0);
  for (std::int64_t k = 0; k <= n; ++k) {
    lgf[k] = std::lgamma(static_cast<double>(k) + 1.0);
    if (k > 0) logk[k] = std::log(static_cast<double>(k));
  }
  const double log_n = std::log(nd);
  const double gln_n = lgf[n];
  const auto as = value_counts(c.a);
  const auto bs = value_counts(c.b);
  double emi = 0.0;
  for (const auto& [ai, mult_a] : as) {
    for (const auto& [bj, mult_b] : bs) {
      const double gln_const = lgf[ai] + lgf[bj] + lgf[n - ai] + lgf[n - bj] - gln_n;
      const std::int64_t start = std::max<std::int64_t>(1, ai - n + bj);
      const std::int64_t end = std::min(ai, bj);
      double pair = 0.0;
      for (std::int64_t nij = start; nij <= end; ++nij) {
        const double term1 = static_cast<double>(nij) / nd;
        const double term2 = (log_n + logk[nij]) - logk[ai] - logk[bj];
        const double gln =
            gln_const - lgf[nij] - lgf[ai - nij] - lgf[bj - nij] - lgf[n - ai - bj + nij];
        pair += term1 * term2 * std::exp(gln);
      }
      emi += pair * static_cast<double>(mult_a * mult_b);
    }
  }
  return emi;
}

/// Shortest augmenting path from free row `row`; returns the sink column, or
/// -1 if no finite path exists. Duals u, v keep reduced costs non-negative.
int augment(int nc, const std::vector<double>& cost, std::vector<double>& u,
            std::vector<double>& v, std::vector<int>& path, const std::vector<int>& row4col,
            std::vector<double>& dist, std::vector<char>& in_sr, std::vector<char>& in_sc,
            std::vector<int>& remaining, int row, double& min_val) {
  min_val = 0.0;
  int num_remaining = nc;
  // Reverse order makes a constant matrix solve to the identity, as scipy does.
  for (int it = 0; it < nc; ++it) remaining[it] = nc - it - 1;
  std::fill(in_sr.begin(), in_sr.end(), 0);
  std::fill(in_sc.begin(), in_sc.end(), 0);
  std::fill(dist.begin(), dist.end(), std::numeric_limits<double>::infinity());
  int sink = -1;
  int i = row;
  while (sink == -1) {
    int index = -1;
    double lowest = std::numeric_limits<double>::infinity();
    in_sr[i] = 1;
    for (int it = 0; it < num_remaining; ++it) {
      const int j = remaining[it];
      const double r = min_val + cost[static_cast<std::size_t>(i) * nc + j] - u[i] - v[j];
      if (r < dist[j]) {
        path[j] = i;
        dist[j] = r;
      }
      // Among equal costs prefer a free column: it ends the search sooner.
      if (dist[j] < lowest || (dist[j] == lowest && row4col[j] == -1)) {
        lowest = dist[j];
        index = it;
      }
    }
    min_val = lowest;
    if (std::isinf(min_val)) return -1;
    const int j = remaining[index];
    if (row4col[j] == -1) {
      sink = j;
    } else {
      i = row4col[j];
    }
    in_sc[j] = 1;
    remaining[index] = remaining[--num_remaining];
  }
  return sink;
}

/// Wide case (nr <= nc): every row gets a distinct column.
std::vector<int> solve_wide(int nr, int nc, const std::vector<double>& cost) {
  std::vector<double> u(nr, 0.0), v(nc, 0.0), dist(nc);
  std::vector<int> path(nc, -1), col4row(nr, -1), row4col(nc, -1), remaining(nc);
  std::vector<char> in_sr(nr), in_sc(nc);
  for (int cur = 0; cur < nr; ++cur) {
    double min_val = 0.0;
    const int sink = augment(nc, cost, u, v, path, row4col, dist, in_sr, in_sc, remaining,
                             cur, min_val);
    if (sink < 0) CP_THROW_INTERNAL("linear_sum_assignment: cost matrix is infeasible");
    u[cur] += min_val;
    for (int i = 0; i < nr; ++i) {
      if (in_sr[i] && i != cur) u[i] += min_val - dist[col4row[i]];
    }
    for (int j = 0; j < nc; ++j) {
      if (in_sc[j]) v[j] -= min_val - dist[j];
    }
    for (int j = sink;;) {
      const int i = path[j];
      row4col[j] = i;
      std::swap(col4row[i], j);
      if (i == cur) break;
    }
  }
  return col4row;
}

}  // namespace

std::vector<int> linear_sum_assignment(const std::vector<double>& cost, int rows, int cols) {
  CP_ASSERT(rows >= 0 && cols >= 0, "negative matrix shape");
  CP_ASSERT(cost.size() == static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols),
            "cost has " + std::to_string(cost.size()) + " entries for a " +
                std::to_string(rows) + "x" + std::to_string(cols) + " matrix");
  for (double x : cost) {
    CP_ASSERT(!std::isnan(x) && x != -std::numeric_limits<double>::infinity(),
              "cost matrix contains NaN or -inf");
  }
  if (rows == 0 || cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols) return solve_wide(rows, cols, cost);
  // Tall: assign every column to a row on the transpose, then invert.
  std::vector<double> t(cost.size());
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      t[static_cast<std::size_t>(j) * rows + i] = cost[static_cast<std::size_t>(i) * cols + j];
    }
  }
  const std::vector<int> row4col = solve_wide(cols, rows, t);
  std::vector<int> out(rows, -1);
  for (int j = 0; j < cols; ++j) out[row4col[j]] = j;
  return out;
}

namespace {

/// Clusters (rows) matched one-to-one to classes (columns) maximising the
/// number of rows whose cluster maps to their class; the tall case (more
/// clusters than classes) leaves the surplus clusters unmatched.
struct Matching {
  Compacted t, p;
  std::vector<int> col;  ///< class id of each cluster id, or -1
  std::int64_t matched = 0;
};

Matching best_matching(const std::vector<std::int32_t>& truth,
                       const std::vector<std::int32_t>& pred) {
  CP_ASSERT(truth.size() == pred.size(), "label vectors differ in length");
  Matching m;
  m.t = compact(truth);
  m.p = compact(pred);
  const int nt = static_cast<int>(m.t.values.size());
  const int np = static_cast<int>(m.p.values.size());
  std::vector<double> cost(static_cast<std::size_t>(np) * nt, 0.0);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    cost[static_cast<std::size_t>(m.p.ids[i]) * nt + m.t.ids[i]] -= 1.0;
  }
  m.col = linear_sum_assignment(cost, np, nt);
  for (int c = 0; c < np; ++c) {
    if (m.col[c] >= 0) {
      m.matched -= static_cast<std::int64_t>(cost[static_cast<std::size_t>(c) * nt + m.col[c]]);
    }
  }
  return m;
}

}  // namespace

double adjusted_mutual_info(const std::vector<std::int32_t>& truth,
                            const std::vector<std::int32_t>& pred) {
  const Contingency c = contingency(truth, pred);
  if (trivially_perfect(c)) return 1.0;
  const auto n = static_cast<std::size_t>(c.n);
  // Both all singletons is one partition, but then mi = emi = normaliser =
  // log(n) and sklearn 1.2 returns rounding noise (0.0 for n = 2 and 4, 1.0
  // otherwise); the limit 1.0 is returned for every n.
  if (c.a.size() == n && c.b.size() == n) return 1.0;
  const double mi = mutual_info(c);
  const double emi = expected_mutual_info(c);
  const double normalizer = (entropy(c.a, c.n) + entropy(c.b, c.n)) / 2.0;
  double denominator = normalizer - emi;
  // sklearn keeps the sign of the denominator but bounds it away from zero.
  if (denominator < 0) {
    denominator = std::min(denominator, -DBL_EPSILON);
  } else {
    denominator = std::max(denominator, DBL_EPSILON);
  }
  return (mi - emi) / denominator;
}

double normalized_mutual_info(const std::vector<std::int32_t>& truth,
                              const std::vector<std::int32_t>& pred) {
  const Contingency c = contingency(truth, pred);
  if (trivially_perfect(c)) return 1.0;
  const double mi = mutual_info(c);
  if (mi == 0.0) return 0.0;
  return mi / ((entropy(c.a, c.n) + entropy(c.b, c.n)) / 2.0);
}

double adjusted_rand(const std::vector<std::int32_t>& truth,
                     const std::vector<std::int32_t>& pred) {
  const Contingency c = contingency(truth, pred);
  // Ordered pair counts, exactly sklearn's pair_confusion_matrix.
  Int128 sum_sq = 0, sum_a2 = 0, sum_b2 = 0;
  for (const auto& cell : c.cells) sum_sq += static_cast<Int128>(cell.count) * cell.count;
  for (std::int64_t x : c.a) sum_a2 += static_cast<Int128>(x) * x;
  for (std::int64_t x : c.b) sum_b2 += static_cast<Int128>(x) * x;
  const Int128 n = c.n;
  const Int128 tp = sum_sq - n;
  const Int128 fp = sum_b2 - sum_sq;
  const Int128 fn = sum_a2 - sum_sq;
  const Int128 tn = n * n - fp - fn - sum_sq;
  if (fn == 0 && fp == 0) return 1.0;
  const Int128 num = tp * tn - fn * fp;
  const Int128 den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn);
  // Python's int -> float conversions round correctly, so do these.
  return 2.0 * static_cast<double>(num) / static_cast<double>(den);
}

std::vector<std::int32_t> match_clusters(const std::vector<std::int32_t>& truth,
                                         const std::vector<std::int32_t>& pred) {
  for (std::size_t i = 0; i < truth.size() && i < pred.size(); ++i) {
    // Labels index the result, and -1 already means "unmatched".
    CP_ASSERT(truth[i] >= 0 && pred[i] >= 0, "match_clusters needs non-negative labels");
  }
  const Matching m = best_matching(truth, pred);
  std::vector<std::int32_t> match(m.p.values.empty() ? 0 : m.p.values.back() + 1, -1);
  for (std::size_t c = 0; c < m.col.size(); ++c) {
    if (m.col[c] >= 0) match[m.p.values[c]] = m.t.values[m.col[c]];
  }
  return match;
}

double matched_accuracy(const std::vector<std::int32_t>& truth,
                        const std::vector<std::int32_t>& pred) {
  const Matching m = best_matching(truth, pred);
  if (truth.empty()) return 1.0;  // sklearn's convention for its scores on no data
  return static_cast<double>(m.matched) / static_cast<double>(truth.size());
}

}  // namespace cp
