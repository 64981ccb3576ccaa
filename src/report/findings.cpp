#include "findings.hpp"

#include <cmath>
#include <cstdio>
#include <map>

#include "clusterprobe/report/resampling.hpp"
#include "text_format.hpp"

namespace cp::detail {
namespace {

std::string num(double v, const char* format = "%.2f") { return formatted(v, format); }

const char* at_layer(const std::string& at) { return at == "best" ? "at each run's best layer" : "at the penultimate layer"; }

// The comparison of the two levels among the effects, oriented better - worse.
std::string judge_difference(const Finding& f, const std::vector<EffectSet>& sets, std::string& measured) {
  for (const auto& set : sets) {
    if (set.at != f.at || set.metric != f.metric) continue;
    for (const auto& axis : set.axes) {
      if (axis.axis != f.axis) continue;
      for (const auto& p : axis.pairs) {
        const bool forward = p.level == f.better && p.versus == f.worse;
        if (!forward && !(p.level == f.worse && p.versus == f.better)) continue;
        const double d = forward ? p.diff.mean : -p.diff.mean;
        measured = f.better + " minus " + f.worse + ": " + (d >= 0 ? "+" : "") + num(d) + " " +
                   (f.metric == "ami" ? "AMI" : "e2e accuracy");
        if (p.diff.has_interval) {
          const double lo = forward ? p.diff.low : -p.diff.high, hi = forward ? p.diff.high : -p.diff.low;
          measured += " [" + num(lo) + ", " + num(hi) + "] (" + num(100 * p.diff.confidence, "%.4g") + "% interval)";
        }
        measured += ", Holm-adjusted " + p_value_text(p.p_adjusted) + ", " + std::to_string(p.diff.n) + " matched pair" +
                    (p.diff.n == 1 ? "" : "s") + " " + at_layer(f.at);
        if (!p.clear) return "inconclusive";
        return d > 0 ? "reproduced" : "contradicted";
      }
    }
  }
  measured = "the study compares no runs of " + f.axis + " " + f.better + " and " + f.worse +
             " matched on every other axis";
  return "not tested here";
}

// Coarse-trained runs' e2e accuracy over their fine-trained twins' accuracy.
std::string judge_ratio(const Finding& f, const std::vector<RatioRun>& runs, std::string& measured) {
  std::map<std::string, double> fine;
  const auto chosen = [&](const RatioRun& r) { return f.dataset.empty() || r.dataset == f.dataset; };
  for (const auto& r : runs)
    if (chosen(r) && r.labels == "fine" && std::isfinite(r.fine_accuracy) && r.fine_accuracy > 0) fine[r.twin_key] = r.fine_accuracy;
  std::vector<double> ratios;
  for (const auto& r : runs) {
    const auto twin = fine.find(r.twin_key);
    const double e2e = f.at == "best" ? r.e2e_best : r.e2e_penultimate;
    if (chosen(r) && r.labels == "coarse" && twin != fine.end() && std::isfinite(e2e))
      ratios.push_back(e2e / twin->second);
  }
  const std::string of = f.dataset.empty() ? "" : " of " + f.dataset;
  if (ratios.empty()) {
    measured = "no coarse-trained run" + of + " has a fine-trained twin (train.labels: [coarse, fine]) with an e2e accuracy";
    return "not tested here";
  }
  const Interval i = bootstrap_mean(ratios);
  const double lo = f.expected - f.tolerance, hi = f.expected + f.tolerance;
  measured = "e2e accuracy of the coarse-trained runs" + of + " over their fine-trained twins' accuracy: " +
             num(i.mean, "%.3f");
  if (i.has_interval) measured += " [" + num(i.low, "%.3f") + ", " + num(i.high, "%.3f") + "] (95% interval)";
  measured += " over " + std::to_string(ratios.size()) + " pair" + (ratios.size() == 1 ? "" : "s") + " " +
              at_layer(f.at) + "; expected " + num(f.expected, "%.3g") + " +- " + num(f.tolerance, "%.3g");
  if (!i.has_interval) return i.mean >= lo && i.mean <= hi ? "inconclusive (one pair: no interval)" : "contradicted";
  if (i.low >= lo && i.high <= hi) return "reproduced";
  if (i.high < lo || i.low > hi) return "contradicted";
  return "inconclusive";
}

}  // namespace

std::vector<std::string> finding_sentences(const std::vector<Finding>& findings, const std::vector<EffectSet>& sets,
                                           const std::vector<RatioRun>& runs) {
  std::vector<std::string> out;
  for (const auto& f : findings) {
    std::string measured;
    const std::string verdict = f.kind == "ratio" ? judge_ratio(f, runs, measured) : judge_difference(f, sets, measured);
    std::string s = f.name + ": " + verdict + " (" + measured + ")";
    if (!f.claim.empty() || !f.source.empty())
      s += "; the claim: " + f.claim + (f.claim.empty() || f.source.empty() ? "" : ", ") + f.source;
    out.push_back(s);
  }
  return out;
}

}  // namespace cp::detail
