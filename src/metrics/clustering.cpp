// External clustering metrics. The formulas, the order of operations and the
// special cases follow scikit-learn 1.2 (sklearn/metrics/cluster/_supervised.py
// and _expected_mutual_info_fast.pyx) so that values agree to ~1e-12. The
// linear sum assignment behind the matching is in linear_assignment.cpp.
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
  out.ids.resize(labels.size());
  if (labels.empty()) return out;
  const auto [lo, hi] = std::minmax_element(labels.begin(), labels.end());
  const std::int64_t range = static_cast<std::int64_t>(*hi) - *lo + 1;
  if (range <= 4 * static_cast<std::int64_t>(labels.size()) + 4096) {
    // Labels in a modest range (the usual 0..k-1): a lookup table, O(n + range)
    // instead of a binary search per label.
    std::vector<std::int32_t> id_of(static_cast<std::size_t>(range), -1);
    for (std::int32_t l : labels) id_of[static_cast<std::size_t>(l - *lo)] = 0;
    for (std::int64_t v = 0; v < range; ++v) {
      if (id_of[v] < 0) continue;
      id_of[v] = static_cast<std::int32_t>(out.values.size());
      out.values.push_back(static_cast<std::int32_t>(*lo + v));
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      out.ids[i] = id_of[static_cast<std::size_t>(labels[i] - *lo)];
    }
    return out;
  }
  out.values = labels;
  std::sort(out.values.begin(), out.values.end());
  out.values.erase(std::unique(out.values.begin(), out.values.end()), out.values.end());
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
  const std::int64_t rows = static_cast<std::int64_t>(t.values.size());
  const std::int64_t cols = static_cast<std::int64_t>(p.values.size());
  for (std::size_t i = 0; i < truth.size(); ++i) {
    ++c.a[t.ids[i]];
    ++c.b[p.ids[i]];
  }
  // Cells in row-major order either way, so sums over them add up identically.
  if (rows * cols <= 4 * c.n + (std::int64_t{1} << 20)) {
    // A dense table is small next to the labels (e.g. 1000 x 1000 for 1M):
    // counting beats sorting n keys.
    std::vector<std::int64_t> table(static_cast<std::size_t>(rows * cols), 0);
    for (std::size_t i = 0; i < truth.size(); ++i) ++table[t.ids[i] * cols + p.ids[i]];
    for (std::int64_t k = 0; k < rows * cols; ++k) {
      if (table[k] > 0) {
        c.cells.push_back({static_cast<std::int32_t>(k / cols), static_cast<std::int32_t>(k % cols),
                           table[k]});
      }
    }
    return c;
  }
  std::vector<std::int64_t> keys(truth.size());
  for (std::size_t i = 0; i < truth.size(); ++i) keys[i] = t.ids[i] * cols + p.ids[i];
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

/// A term whose hypergeometric weight is below e^-kTailLog (1e-18) times the
/// largest weight of its pair cannot move the sum; the weights fall off
/// monotonically on both sides of the mode (the distribution is log-concave).
constexpr double kTailLog = 41.5;

/// Expected mutual information under the hypergeometric model, each term
/// computed as sklearn 1.2 computes it (_expected_mutual_info_fast.pyx), but
/// for each (a, b) only the n_ij around the mode that carry weight: the
/// hypergeometric weight of n_ij is concentrated within a few sqrt(ab/n) of
/// ab/n, whereas sklearn visits every n_ij up to min(a, b). The skipped terms
/// change the sum by less than 1e-17 relative. Rows (distinct a) are spread
/// over OpenMP threads and their sums added in row order, so the result does
/// not depend on the thread count.
double expected_mutual_info(const Contingency& c) {
  if (c.a.size() == 1 || c.b.size() == 1) return 0.0;
  const std::int64_t n = c.n;
  const double nd = static_cast<double>(n);
  // lgf[k] = lgamma(k + 1) and logk[k] = log(k) for every count that can occur.
  std::vector<double> lgf(static_cast<std::size_t>(n) + 1);
  std::vector<double> logk(static_cast<std::size_t>(n) + 1, 0.0);
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (n >= 100000)
#endif
  for (std::int64_t k = 0; k <= n; ++k) {
    lgf[k] = std::lgamma(static_cast<double>(k) + 1.0);
    if (k > 0) logk[k] = std::log(static_cast<double>(k));
  }
  const double log_n = std::log(nd);
  const double gln_n = lgf[n];
  const auto as = value_counts(c.a);
  const auto bs = value_counts(c.b);
  std::vector<double> row_sum(as.size(), 0.0);
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if (as.size() * bs.size() >= 4096)
#endif
  for (std::size_t ia = 0; ia < as.size(); ++ia) {
    const std::int64_t ai = as[ia].first;
    double row = 0.0;
    for (const auto& [bj, mult_b] : bs) {
      const double gln_const = lgf[ai] + lgf[bj] + lgf[n - ai] + lgf[n - bj] - gln_n;
      const std::int64_t start = std::max<std::int64_t>(1, ai - n + bj);
      const std::int64_t end = std::min(ai, bj);
      const auto log_weight = [&](std::int64_t nij) {
        return gln_const - lgf[nij] - lgf[ai - nij] - lgf[bj - nij] - lgf[n - ai - bj + nij];
      };
      const auto term = [&](std::int64_t nij, double gln) {
        const double term1 = static_cast<double>(nij) / nd;
        const double term2 = (log_n + logk[nij]) - logk[ai] - logk[bj];
        return term1 * term2 * std::exp(gln);
      };
      // The mode of the hypergeometric distribution, moved into [start, end].
      const auto mode = std::clamp<std::int64_t>(
          static_cast<std::int64_t>(std::floor(static_cast<double>(ai + 1) *
                                               static_cast<double>(bj + 1) / (nd + 2.0))),
          start, end);
      const double floor_log = log_weight(mode) - kTailLog;
      double pair = 0.0;
      for (std::int64_t nij = mode; nij <= end; ++nij) {
        const double gln = log_weight(nij);
        if (gln < floor_log) break;
        pair += term(nij, gln);
      }
      for (std::int64_t nij = mode - 1; nij >= start; --nij) {
        const double gln = log_weight(nij);
        if (gln < floor_log) break;
        pair += term(nij, gln);
      }
      row += pair * static_cast<double>(mult_b);
    }
    row_sum[ia] = row * static_cast<double>(as[ia].second);
  }
  double emi = 0.0;
  for (double r : row_sum) emi += r;
  return emi;
}

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
