// Effects as sentences for the report and as effects.csv for pandas.
#include <cmath>
#include <cstdio>

#include "clusterprobe/common/csv.hpp"
#include "clusterprobe/metrics/record.hpp"
#include "clusterprobe/report/effects.hpp"

namespace cp {
namespace {

std::string num(double v, const char* format = "%.2f") {
  char text[32];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

std::string signed_num(double v) { return (v >= 0 ? "+" : "") + num(v); }

const char* metric_name(const std::string& metric) { return metric == vocab::kAmi ? "AMI" : "e2e accuracy"; }

const char* layer_name(const std::string& at) { return at == "best" ? "each run's best layer" : "penultimate layer"; }

}  // namespace

std::vector<std::string> effect_sentences(const std::vector<EffectSet>& sets) {
  std::vector<std::string> out;
  for (const auto& set : sets) {
    for (const auto& axis : set.axes) {
      for (const auto& p : axis.pairs) {
        // Stated from the better level's side, so every number reads as an advantage.
        const bool flip = p.diff.mean < 0;
        const std::string& better = flip ? p.versus : p.level;
        const std::string& worse = flip ? p.level : p.versus;
        const double d = flip ? -p.diff.mean : p.diff.mean;
        std::string s = better + (set.metric == vocab::kAmi ? " clusters better than " : " recovers more than ") + worse + ": " +
                        signed_num(d) + " " + metric_name(set.metric);
        if (p.diff.has_interval) {
          const double lo = flip ? -p.diff.high : p.diff.low, hi = flip ? -p.diff.low : p.diff.high;
          s += " [" + num(lo) + ", " + num(hi) + "]";
        }
        const int agree = flip ? p.negative : p.positive;
        s += ", " + std::to_string(agree) + " of " + std::to_string(p.diff.n) + " matched pair" +
             (p.diff.n == 1 ? " (one pair: no interval)" : "s") + " (" + axis.axis + ", " + layer_name(set.at) + ")";
        out.push_back(s);
      }
    }
  }
  if (out.empty())
    out.push_back("Nothing to compare: no grid axis has two levels with runs matched on every other axis.");
  return out;
}

std::string effects_csv(const std::vector<EffectSet>& sets) {
  std::string out = "at,metric,axis,kind,level,versus,n,mean,ci_low,ci_high,positive,negative\n";
  auto interval = [](const Interval& i) {
    return std::to_string(i.n) + "," + num(i.mean, "%.17g") + "," + (i.has_interval ? num(i.low, "%.17g") : "") +
           "," + (i.has_interval ? num(i.high, "%.17g") : "");
  };
  for (const auto& set : sets) {
    for (const auto& axis : set.axes) {
      const std::string head = set.at + "," + set.metric + "," + csv_field(axis.axis) + ",";
      for (const auto& l : axis.levels) out += head + "level," + csv_field(l.level) + ",," + interval(l.stat) + ",,\n";
      for (const auto& p : axis.pairs)
        out += head + "difference," + csv_field(p.level) + "," + csv_field(p.versus) + "," + interval(p.diff) + "," +
               std::to_string(p.positive) + "," + std::to_string(p.negative) + "\n";
    }
  }
  return out;
}

}  // namespace cp
