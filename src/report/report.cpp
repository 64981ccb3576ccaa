#include "clusterprobe/report/report.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/report/table.hpp"

namespace cp {
namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

// (epoch, layer, scope, metric) -> value, for one run.
class RunMetrics {
 public:
  void add(const MetricRecord& r) { values_[{r.epoch, r.layer, r.scope, r.metric}] = r.value; }
  double get(int epoch, const std::string& layer, const std::string& scope, const std::string& metric) const {
    auto it = values_.find({epoch, layer, scope, metric});
    return it == values_.end() ? kMissing : it->second;
  }
  std::set<int> epochs() const {
    std::set<int> e;
    for (const auto& [k, v] : values_) e.insert(std::get<0>(k));
    return e;
  }
  // Every layer of the run: "input" first, "logits" last, the rest sorted,
  // which is forward order for every built-in architecture.
  std::vector<std::string> layers() const {
    std::set<std::string> names;
    for (const auto& [k, v] : values_) names.insert(std::get<1>(k));
    std::vector<std::string> out;
    if (names.count("input")) out.push_back("input");
    for (const auto& n : names) {
      if (n != "input" && n != "logits") out.push_back(n);
    }
    if (names.count("logits")) out.push_back("logits");
    return out;
  }
  // The value at the latest epoch that has it: the raw input is stored once
  // (epoch 0) and belongs in the final table all the same.
  double latest(const std::string& layer, const std::string& scope, const std::string& metric) const {
    const auto e = epochs();
    for (auto it = e.rbegin(); it != e.rend(); ++it) {
      const double v = get(*it, layer, scope, metric);
      if (!std::isnan(v)) return v;
    }
    return kMissing;
  }
  double input_ami() const { return latest("input", "mean", "ami"); }

 private:
  std::map<std::tuple<int, std::string, std::string, std::string>, double> values_;
};

std::string describe(const std::string& id, const std::map<std::string, RunStatus>& runs) {
  auto it = runs.find(id);
  if (it == runs.end()) return "run " + id;
  const auto& r = it->second;
  std::ostringstream os;
  os << "run " << id << "  " << r.dataset << " / " << r.architecture << " / " << r.normalization
     << " / seed " << r.seed << "  coarse test accuracy " << fixed(r.coarse_test_accuracy);
  return os.str();
}

// The registry knows each built-in architecture's penultimate layer; for
// files from elsewhere it is the layer just before the logits, if any.
std::string penultimate(const std::vector<std::string>& layers, const std::string& architecture) {
  const auto& known = known_architectures();
  if (std::find(known.begin(), known.end(), architecture) != known.end()) return penultimate_point(architecture);
  return layers.size() >= 2 && layers.back() == "logits" ? layers[layers.size() - 2] : "";
}

}  // namespace

ReportText render_report(const std::vector<MetricRecord>& metrics, const std::vector<RunStatus>& runs) {
  std::map<std::string, RunMetrics> by_run;
  for (const auto& m : metrics) by_run[m.run_id].add(m);
  std::map<std::string, RunStatus> status;
  for (const auto& r : runs) status[r.id] = r;

  ReportText out;
  Table summary({"run", "dataset", "arch", "norm", "coarse acc", "best layer", "AMI", "penult. AMI*",
                 "e2e acc*", "input AMI"});
  for (const auto& [id, rm] : by_run) {
    const int last = *rm.epochs().rbegin();
    Table t({"layer", "AMI", "acc within", "e2e acc", "global AMI", "AMI epoch 0", "AMI input"});
    std::string best;
    double best_ami = -1;
    const double input_ami = rm.input_ami();
    for (const auto& layer : rm.layers()) {
      const double ami = rm.latest(layer, "mean", "ami");
      t.add_row({layer, fixed(ami), fixed(rm.latest(layer, "mean", "accuracy")),
                 fixed(rm.latest(layer, "global", "e2e_accuracy")), fixed(rm.latest(layer, "global", "ami")),
                 fixed(rm.get(0, layer, "mean", "ami")), fixed(input_ami)});
      if (layer != "input" && !std::isnan(ami) && ami > best_ami) {
        best_ami = ami;
        best = layer;
      }
    }
    const std::string title = describe(id, status) + "  (epoch " + std::to_string(last) + ")";
    const std::string best_line = best.empty() ? "best layer: -" : "best layer: " + best + " (mean AMI " + fixed(best_ami) + ")";
    out.terminal += title + "\n" + t.text() + best_line + "\n\n";
    out.markdown += "### " + title + "\n\n" + t.markdown() + "\n" + best_line + "\n\n";

    auto st = status.find(id);
    const auto penult = penultimate(rm.layers(), st == status.end() ? "" : st->second.architecture);
    summary.add_row({id, st == status.end() ? "" : st->second.dataset,
                     st == status.end() ? "" : st->second.architecture,
                     st == status.end() ? "" : st->second.normalization,
                     fixed(st == status.end() ? kMissing : st->second.coarse_test_accuracy), best.empty() ? "-" : best,
                     fixed(best_ami < 0 ? kMissing : best_ami),
                     fixed(penult.empty() ? kMissing : rm.latest(penult, "mean", "ami")),
                     fixed(penult.empty() ? kMissing : rm.latest(penult, "global", "e2e_accuracy")),
                     fixed(input_ami)});
  }
  const std::string legend =
      "AMI: mean over superclasses of k-means (k = subclasses) vs subclass labels; acc within: "
      "Hungarian-matched accuracy inside each true superclass; e2e acc: network's coarse prediction, "
      "then nearest subclass centroid; *: penultimate layer.\n";
  out.terminal += "summary\n" + summary.text() + legend;
  out.markdown = "# ClusterProbe report\n\n## Summary\n\n" + summary.markdown() + "\n" + legend + "\n## Runs\n\n" +
                 out.markdown;
  return out;
}

}  // namespace cp
