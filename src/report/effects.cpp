#include "clusterprobe/report/effects.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace cp {
namespace {

constexpr int kGroupPermutations = 1999;

// Everything but `axis`: runs with equal keys differ only in that axis.
std::string others_key(const RunOutcome& r, const std::string& axis) {
  std::string key;
  for (const auto& [name, level] : r.axes) {
    if (name != axis) key += name + "=" + level + "\x1f";
  }
  return key;
}

// One axis's runs: per level its values, and per matched group its runs.
struct AxisRuns {
  std::vector<std::string> levels;  // first-seen order
  std::map<std::string, std::vector<double>> by_level;
  std::map<std::string, std::map<std::string, double>> matched;  // level -> others' key -> value
  std::map<std::string, MatchedGroup> groups;                    // others' key -> its runs

  AxisRuns(const std::vector<RunOutcome>& runs, const std::string& axis) {
    for (const auto& r : runs) {
      const auto it = r.axes.find(axis);
      if (it == r.axes.end() || std::isnan(r.value)) continue;
      if (!by_level.count(it->second)) levels.push_back(it->second);
      by_level[it->second].push_back(r.value);
      const std::string key = others_key(r, axis);
      matched[it->second][key] = r.value;
      auto& g = groups[key];
      g.level.push_back(static_cast<int>(std::find(levels.begin(), levels.end(), it->second) - levels.begin()));
      g.value.push_back(r.value);
    }
  }

  // level a minus level b over the groups holding both.
  std::vector<double> differences(const std::string& a, const std::string& b, PairedEffect& p) const {
    std::vector<double> diffs;
    const auto& of_b = matched.at(b);
    for (const auto& [key, va] : matched.at(a)) {
      const auto vb = of_b.find(key);
      if (vb == of_b.end()) continue;
      diffs.push_back(va - vb->second);
      p.positive += va > vb->second;
      p.negative += va < vb->second;
    }
    return diffs;
  }
};

AxisEffects axis_effects(const AxisRuns& runs, const std::string& axis,
                         std::vector<std::vector<double>>& diffs_of_pairs) {
  AxisEffects e;
  e.axis = axis;
  for (const auto& level : runs.levels) {
    const auto& values = runs.by_level.at(level);
    e.levels.push_back({level, bootstrap_mean(values), interquartile_mean(values)});
  }
  std::vector<MatchedGroup> groups;
  for (const auto& [key, g] : runs.groups) groups.push_back(g);
  e.overall_p = matched_permutation_p(groups, static_cast<int>(runs.levels.size()), kGroupPermutations);
  e.groups = static_cast<int>(std::count_if(groups.begin(), groups.end(), [](const MatchedGroup& g) {
    return g.value.size() >= 2;
  }));
  e.permutations = kGroupPermutations;
  for (std::size_t a = 0; a < runs.levels.size(); ++a) {
    for (std::size_t b = a + 1; b < runs.levels.size(); ++b) {
      PairedEffect p;
      p.level = runs.levels[a];
      p.versus = runs.levels[b];
      std::vector<double> diffs = runs.differences(p.level, p.versus, p);
      if (diffs.empty()) continue;
      p.p = sign_flip_p(diffs);
      e.pairs.push_back(p);
      diffs_of_pairs.push_back(std::move(diffs));
    }
  }
  return e;
}

// Holm over every pair of the outcome: the k-th smallest p-value of m is held
// to alpha / (m - k), and so is its interval (confidence 1 - alpha / (m - k)),
// with enough resamples for at least 20 in each tail where that is affordable.
void adjust_pairs(std::vector<AxisEffects>& axes, const std::vector<std::vector<double>>& diffs) {
  std::vector<PairedEffect*> pairs;
  for (auto& e : axes)
    for (auto& p : e.pairs) pairs.push_back(&p);
  std::vector<double> raw;
  for (const auto* p : pairs) raw.push_back(p->p);
  const std::vector<double> adjusted = holm_adjust(raw);
  std::vector<std::size_t> order(pairs.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return raw[a] < raw[b]; });
  for (std::size_t k = 0; k < order.size(); ++k) {
    PairedEffect& p = *pairs[order[k]];
    const double alpha = kEffectAlpha / static_cast<double>(order.size() - k);
    // Capped at about 4e7 draws per pair: a 2,000-run study stays a few
    // seconds; its extreme quantiles then rest on fewer resamples.
    const double n = static_cast<double>(diffs[order[k]].size());
    const int resamples = static_cast<int>(std::max(4000.0, std::min(std::ceil(40.0 / alpha), 4e7 / n)));
    p.p_adjusted = adjusted[order[k]];
    p.diff = bootstrap_mean(diffs[order[k]], resamples, 1, 1.0 - alpha);
    p.improvement = probability_of_improvement(diffs[order[k]], 1.0 - alpha, resamples);
    p.clear = p.p_adjusted < kEffectAlpha && p.diff.has_interval && (p.diff.low > 0 || p.diff.high < 0);
  }
}

void adjust_axes(std::vector<AxisEffects>& axes) {
  std::vector<double> raw;
  std::vector<AxisEffects*> tested;
  for (auto& e : axes)
    if (!std::isnan(e.overall_p)) {
      raw.push_back(e.overall_p);
      tested.push_back(&e);
    }
  const std::vector<double> adjusted = holm_adjust(raw);
  for (std::size_t i = 0; i < tested.size(); ++i) tested[i]->overall_p_adjusted = adjusted[i];
  for (auto& e : axes)
    if (std::isnan(e.overall_p)) e.overall_p_adjusted = e.overall_p;
}

}  // namespace

std::vector<AxisEffects> factor_effects(const std::vector<RunOutcome>& runs, const std::vector<std::string>& factors) {
  std::vector<AxisEffects> out;
  std::vector<std::vector<double>> diffs;  // per pair, in the order of the axes' pairs
  for (const auto& axis : factors) {
    const AxisRuns axis_runs(runs, axis);
    if (axis_runs.levels.size() < 2) continue;
    out.push_back(axis_effects(axis_runs, axis, diffs));
  }
  adjust_pairs(out, diffs);
  adjust_axes(out);
  return out;
}

}  // namespace cp
