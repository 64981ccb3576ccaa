#include "clusterprobe/report/resampling.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

namespace cp {
namespace {

// The value of the 0 <= q <= 1 quantile of sorted `v` (linear interpolation, as numpy's default).
double quantile(const std::vector<double>& v, double q) {
  const double pos = q * static_cast<double>(v.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// Percentile interval of `statistic` over bootstrap resamples of `values`.
template <class Statistic>
Interval bootstrap(const std::vector<double>& values, double point, int resamples, std::uint64_t seed,
                   double confidence, Statistic statistic) {
  Interval out;
  out.n = static_cast<int>(values.size());
  out.mean = out.low = out.high = point;
  out.confidence = confidence;
  if (values.size() < 2) return out;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  std::vector<double> stats(static_cast<std::size_t>(resamples));
  std::vector<double> sample(values.size());
  for (auto& s : stats) {
    for (auto& x : sample) x = values[pick(rng)];
    s = statistic(sample);
  }
  std::sort(stats.begin(), stats.end());
  const double tail = (1.0 - confidence) / 2.0;
  out.low = quantile(stats, tail);
  out.high = quantile(stats, 1.0 - tail);
  out.has_interval = true;
  return out;
}

// Share above 0, ties half.
double improvement_share(const std::vector<double>& diffs) {
  double wins = 0;
  for (double d : diffs) wins += d > 0 ? 1.0 : d == 0 ? 0.5 : 0.0;
  return wins / static_cast<double>(diffs.size());
}

// Between-level sum of squares of group-centred values, for the given labels.
double between_levels(const std::vector<MatchedGroup>& groups, const std::vector<std::vector<int>>& labels,
                      const std::vector<std::vector<double>>& centred, int levels) {
  std::vector<double> sum(static_cast<std::size_t>(levels), 0.0), count(static_cast<std::size_t>(levels), 0.0);
  for (std::size_t g = 0; g < groups.size(); ++g)
    for (std::size_t i = 0; i < centred[g].size(); ++i) {
      sum[static_cast<std::size_t>(labels[g][i])] += centred[g][i];
      count[static_cast<std::size_t>(labels[g][i])] += 1;
    }
  double ss = 0;
  for (std::size_t l = 0; l < sum.size(); ++l)
    if (count[l] > 0) ss += sum[l] * sum[l] / count[l];
  return ss;
}

}  // namespace

Interval bootstrap_mean(const std::vector<double>& values, int resamples, std::uint64_t seed, double confidence) {
  if (values.empty()) return Interval{};
  return bootstrap(values, mean_of(values), resamples, seed, confidence, mean_of);
}

double interquartile_mean(std::vector<double> values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const std::size_t cut = values.size() / 4;
  return std::accumulate(values.begin() + static_cast<std::ptrdiff_t>(cut),
                         values.end() - static_cast<std::ptrdiff_t>(cut), 0.0) /
         static_cast<double>(values.size() - 2 * cut);
}

double sign_flip_p(const std::vector<double>& diffs, int flips, std::uint64_t seed) {
  if (diffs.empty()) return 1.0;
  const double observed = std::abs(std::accumulate(diffs.begin(), diffs.end(), 0.0));
  // Sums equal up to rounding count as equal: a flip that reorders the terms
  // must not look more extreme than the data by 1e-16.
  const double bar = observed * (1.0 - 1e-12);
  const std::size_t n = diffs.size();
  if (n <= 16) {
    std::uint64_t hits = 0;
    const std::uint64_t all = std::uint64_t{1} << n;
    for (std::uint64_t mask = 0; mask < all; ++mask) {
      double s = 0;
      for (std::size_t i = 0; i < n; ++i) s += (mask >> i & 1U) ? -diffs[i] : diffs[i];
      hits += std::abs(s) >= bar;
    }
    return static_cast<double>(hits) / static_cast<double>(all);
  }
  std::mt19937_64 rng(seed);
  std::uint64_t hits = 0;
  for (int f = 0; f < flips; ++f) {
    double s = 0;
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (i % 64 == 0) bits = rng();
      s += (bits >> (i % 64) & 1U) ? -diffs[i] : diffs[i];
    }
    hits += std::abs(s) >= bar;
  }
  return static_cast<double>(1 + hits) / static_cast<double>(1 + flips);
}

double matched_permutation_p(const std::vector<MatchedGroup>& groups, int levels, int permutations,
                             std::uint64_t seed) {
  std::vector<MatchedGroup> used;
  for (const auto& g : groups)
    if (g.value.size() >= 2) used.push_back(g);
  if (used.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::vector<std::vector<int>> labels;
  std::vector<std::vector<double>> centred;
  for (const auto& g : used) {
    const double m = mean_of(g.value);
    std::vector<double> c;
    for (double v : g.value) c.push_back(v - m);
    centred.push_back(std::move(c));
    labels.push_back(g.level);
  }
  const double observed = between_levels(used, labels, centred, levels);
  const double bar = observed * (1.0 - 1e-12);
  std::mt19937_64 rng(seed);
  std::uint64_t hits = 0;
  for (int p = 0; p < permutations; ++p) {
    for (auto& l : labels) std::shuffle(l.begin(), l.end(), rng);
    hits += between_levels(used, labels, centred, levels) >= bar;
  }
  return static_cast<double>(1 + hits) / static_cast<double>(1 + permutations);
}

std::vector<double> holm_adjust(const std::vector<double>& p) {
  std::vector<std::size_t> order(p.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return p[a] < p[b]; });
  std::vector<double> out(p.size());
  double running = 0;  // adjusted p-values never decrease down the order
  for (std::size_t k = 0; k < order.size(); ++k) {
    running = std::max(running, std::min(1.0, static_cast<double>(p.size() - k) * p[order[k]]));
    out[order[k]] = running;
  }
  return out;
}

Interval probability_of_improvement(const std::vector<double>& diffs, double confidence, int resamples,
                                    std::uint64_t seed) {
  if (diffs.empty()) return Interval{};
  return bootstrap(diffs, improvement_share(diffs), resamples, seed, confidence, improvement_share);
}

}  // namespace cp
