// Effects as sentences for the report and as effects.csv for pandas.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "clusterprobe/common/csv.hpp"
#include "clusterprobe/metrics/record.hpp"
#include "clusterprobe/report/effects.hpp"
#include "text_format.hpp"

namespace cp {
namespace {

std::string num(double v, const char* format = "%.2f") { return detail::formatted(v, format); }

std::string signed_num(double v) { return (v >= 0 ? "+" : "") + num(v); }

// 0.9875 -> "98.75%", 0.95 -> "95%".
std::string percent(double confidence) { return num(100.0 * confidence, "%.4g") + "%"; }

const char* metric_name(const std::string& metric) { return metric == vocab::kAmi ? "AMI" : "e2e accuracy"; }

const char* layer_name(const std::string& at) { return at == "best" ? "each run's best layer" : "penultimate layer"; }

std::string axis_sentence(const EffectSet& set, const AxisEffects& axis) {
  const std::string where = metric_name(set.metric) + std::string(", ") + layer_name(set.at);
  const std::string levels = std::to_string(axis.levels.size()) + " levels";
  if (std::isnan(axis.overall_p))
    return axis.axis + ": no two runs match on every other axis, so its " + levels + " are not tested (" + where + ")";
  const std::string test = "permutation test within " + std::to_string(axis.groups) + " matched groups, " +
                           std::to_string(axis.permutations) + " permutations, Holm-adjusted " +
                           detail::p_value_text(axis.overall_p_adjusted) + "; " + where;
  return axis.axis + (axis.overall_p_adjusted < kEffectAlpha ? ": its " + levels + " differ ("
                                                             : ": no clear difference among its " + levels + " (") +
         test + ")";
}

std::string pair_sentence(const EffectSet& set, const std::string& axis, const PairedEffect& p) {
  // Stated from the better level's side, so every number reads as an advantage.
  const bool flip = p.diff.mean < 0;
  const std::string& better = flip ? p.versus : p.level;
  const std::string& worse = flip ? p.level : p.versus;
  std::string s = p.clear ? better + (set.metric == vocab::kAmi ? " clusters better than " : " recovers more than ") +
                                worse + ": "
                          : "no clear difference between " + better + " and " + worse + ": ";
  s += signed_num(flip ? -p.diff.mean : p.diff.mean) + " " + metric_name(set.metric);
  if (p.diff.has_interval) {
    const double lo = flip ? -p.diff.high : p.diff.low, hi = flip ? -p.diff.low : p.diff.high;
    s += " [" + num(lo) + ", " + num(hi) + "] (" + percent(p.diff.confidence) + " interval)";
  }
  const int agree = flip ? p.negative : p.positive;
  s += ", " + better + " above in " + std::to_string(agree) + " of " + std::to_string(p.diff.n) + " matched pair" +
       (p.diff.n == 1 ? " (one pair: no interval)" : "s");
  if (p.improvement.has_interval) {
    const Interval& i = p.improvement;
    const double mean = flip ? 1 - i.mean : i.mean, lo = flip ? 1 - i.high : i.low, hi = flip ? 1 - i.low : i.high;
    s += " (probability of improvement " + num(mean) + " [" + num(lo) + ", " + num(hi) + "])";
  }
  return s + ", Holm-adjusted " + detail::p_value_text(p.p_adjusted) + " (" + axis + ", " + layer_name(set.at) + ")";
}

}  // namespace

std::vector<std::string> effect_sentences(const std::vector<EffectSet>& sets) {
  std::vector<std::string> out;
  for (const auto& set : sets) {
    std::vector<std::pair<const AxisEffects*, const PairedEffect*>> pairs;
    for (const auto& axis : set.axes) {
      out.push_back(axis_sentence(set, axis));
      for (const auto& p : axis.pairs) pairs.emplace_back(&axis, &p);
    }
    // Largest differences first: the reader meets what matters before the noise.
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) {
      return std::abs(a.second->diff.mean) > std::abs(b.second->diff.mean);
    });
    for (const auto& [axis, p] : pairs) out.push_back(pair_sentence(set, axis->axis, *p));
  }
  if (out.empty())
    out.push_back("Nothing to compare: no grid axis has two levels with runs matched on every other axis.");
  return out;
}

std::string effects_csv(const std::vector<EffectSet>& sets) {
  std::string out =
      "at,metric,axis,kind,level,versus,n,mean,ci_low,ci_high,positive,negative,"
      "ci_level,iqm,p,p_holm,improvement,improvement_low,improvement_high,clear,permutations\n";
  auto exact = [](double v) { return std::isnan(v) ? std::string() : num(v, "%.17g"); };
  auto interval = [&](const Interval& i) {
    return std::to_string(i.n) + "," + exact(i.mean) + "," + (i.has_interval ? exact(i.low) : "") + "," +
           (i.has_interval ? exact(i.high) : "");
  };
  for (const auto& set : sets) {
    for (const auto& axis : set.axes) {
      const std::string head = set.at + "," + set.metric + "," + csv_field(axis.axis) + ",";
      out += head + "overall,,," + std::to_string(axis.groups) + ",,,,,,,," + exact(axis.overall_p) + "," +
             exact(axis.overall_p_adjusted) + ",,,," + (axis.overall_p_adjusted < kEffectAlpha ? "1" : "0") + "," +
             std::to_string(axis.permutations) + "\n";
      for (const auto& l : axis.levels)
        out += head + "level," + csv_field(l.level) + ",," + interval(l.stat) + ",,," + exact(l.stat.confidence) +
               "," + exact(l.iqm) + ",,,,,,,\n";
      for (const auto& p : axis.pairs) {
        const Interval& i = p.improvement;
        out += head + "difference," + csv_field(p.level) + "," + csv_field(p.versus) + "," + interval(p.diff) + "," +
               std::to_string(p.positive) + "," + std::to_string(p.negative) + "," + exact(p.diff.confidence) + ",," +
               exact(p.p) + "," + exact(p.p_adjusted) + "," + exact(i.mean) + "," +
               (i.has_interval ? exact(i.low) : "") + "," + (i.has_interval ? exact(i.high) : "") + "," +
               (p.clear ? "1" : "0") + ",\n";
      }
    }
  }
  return out;
}

}  // namespace cp
