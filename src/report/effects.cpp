#include "clusterprobe/report/effects.hpp"

#include <algorithm>
#include <cmath>
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

// Everything but `axis`: runs with equal keys differ only in that axis.
std::string others_key(const RunOutcome& r, const std::string& axis) {
  std::string key;
  for (const auto& [name, level] : r.axes) {
    if (name != axis) key += name + "=" + level + "\x1f";
  }
  return key;
}

}  // namespace

Interval bootstrap_mean(const std::vector<double>& values, int resamples, std::uint64_t seed) {
  Interval out;
  out.n = static_cast<int>(values.size());
  if (values.empty()) return out;
  out.mean = std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  out.low = out.high = out.mean;
  if (values.size() < 2) return out;
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pick(0, values.size() - 1);
  std::vector<double> means(static_cast<std::size_t>(resamples));
  for (auto& m : means) {
    double sum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) sum += values[pick(rng)];
    m = sum / static_cast<double>(values.size());
  }
  std::sort(means.begin(), means.end());
  out.low = quantile(means, 0.025);
  out.high = quantile(means, 0.975);
  out.has_interval = true;
  return out;
}

std::vector<AxisEffects> factor_effects(const std::vector<RunOutcome>& runs, const std::vector<std::string>& factors) {
  std::vector<AxisEffects> out;
  for (const auto& axis : factors) {
    std::vector<std::string> levels;
    std::map<std::string, std::vector<double>> by_level;
    // level -> (key of the other axes -> value): the matching for paired differences.
    std::map<std::string, std::map<std::string, double>> matched;
    for (const auto& r : runs) {
      const auto it = r.axes.find(axis);
      if (it == r.axes.end() || std::isnan(r.value)) continue;
      if (!by_level.count(it->second)) levels.push_back(it->second);
      by_level[it->second].push_back(r.value);
      matched[it->second][others_key(r, axis)] = r.value;
    }
    if (levels.size() < 2) continue;
    AxisEffects e;
    e.axis = axis;
    for (const auto& level : levels) e.levels.push_back({level, bootstrap_mean(by_level[level])});
    for (std::size_t a = 0; a < levels.size(); ++a) {
      for (std::size_t b = a + 1; b < levels.size(); ++b) {
        PairedEffect p{levels[a], levels[b], {}, 0, 0};
        std::vector<double> diffs;
        for (const auto& [key, va] : matched[levels[a]]) {
          const auto vb = matched[levels[b]].find(key);
          if (vb == matched[levels[b]].end()) continue;
          diffs.push_back(va - vb->second);
          p.positive += va > vb->second;
          p.negative += va < vb->second;
        }
        if (diffs.empty()) continue;
        p.diff = bootstrap_mean(diffs);
        e.pairs.push_back(p);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace cp
