#include "clusterprobe/report/report.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include "clusterprobe/cluster/method.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/table.hpp"
#include "charts.hpp"
#include "findings.hpp"
#include "page.hpp"
#include "pivot.hpp"
#include "run_metrics.hpp"

namespace cp {
namespace {

using detail::is_clustering;
using detail::kMissing;
using detail::RunMetrics;
using detail::PageParts;
using detail::summary_table;

// A column shown only when the run has values for it.
struct Column {
  std::string header, scope, method, metric;
};

std::string describe(const std::string& id, const std::map<std::string, RunStatus>& runs) {
  auto it = runs.find(id);
  if (it == runs.end()) return "run " + id;
  const auto& r = it->second;
  std::ostringstream os;
  os << "run " << id << "  " << r.dataset << " / " << r.architecture << " / " << r.normalization
     << " / seed " << r.seed;
  if (r.labels != "coarse") os << " / trained on " << r.labels << " labels";
  if (r.pretraining != "none" && !r.pretraining.empty()) os << " / pretraining " << r.pretraining;
  os << "  coarse test accuracy " << fixed(r.coarse_test_accuracy);
  if (!std::isnan(r.fine_test_accuracy)) os << ", fine test accuracy " << fixed(r.fine_test_accuracy);
  return os.str();
}

// One metric of every layer at every stored epoch: how clusterability (mean
// AMI) and recoverability (e2e accuracy) evolve with training (epoch 0: the
// untrained or pretrained network). Empty when fewer than two epochs have it.
Table dynamics(const RunMetrics& rm, const std::string& scope, const std::string& method,
               const std::string& metric) {
  std::vector<std::string> header{"layer"};
  for (int e : rm.epochs()) header.push_back("epoch " + std::to_string(e));
  Table t(header);
  std::set<int> seen;
  for (const auto& layer : rm.layers()) {
    if (layer == "input") continue;
    std::vector<std::string> row{layer};
    for (int e : rm.epochs()) {
      const double v = rm.get(e, layer, scope, method, metric);
      if (!std::isnan(v)) seen.insert(e);
      row.push_back(fixed(v));
    }
    t.add_row(row);
  }
  return seen.size() >= 2 ? t : Table({"layer"});
}

}  // namespace

namespace {

// What did not finish: runs that failed or are pending, and items the cluster
// stage could not score, each with its message. Empty when everything did.
Table missing_table(const std::vector<RunStatus>& runs, const std::vector<FailureRecord>& failures) {
  Table t({"run", "what", "status", "message"});
  for (const auto& r : runs) {
    if (r.status == RunPhase::complete) continue;
    t.add_row({r.id, r.dataset + " / " + r.architecture + " / " + r.normalization + " / seed " +
                         std::to_string(r.seed),
               phase_name(r.status), r.message.empty() ? "-" : r.message});
  }
  for (const auto& f : failures) {
    t.add_row({f.run_id.empty() ? "-" : f.run_id,
               f.layer == "*" ? "layer similarity"
               : f.layer.empty() ? "its activations file"
                                 : f.layer + " at epoch " + std::to_string(f.epoch),
               "item failed", f.message});
  }
  return t;
}



// The grid coordinates of a run: the factors, and the seed that replicates them.
std::map<std::string, std::string> axes_of(const RunStatus& r) {
  return {{"dataset", r.dataset},         {"architecture", r.architecture}, {"normalization", r.normalization},
          {"pretraining", r.pretraining}, {"labels", r.labels},             {"seed", std::to_string(r.seed)}};
}

// Beyond this many runs the page leaves out each run's table by layer: a
// thousand of them make a page of tens of megabytes nobody scrolls.
constexpr std::size_t kMaxRunSectionsHtml = 50;

// What the figures' panels compare: the axes, not the seed they average over.
detail::Axes grid_axes(const RunStatus& r) {
  detail::Axes axes = axes_of(r);
  axes.erase("seed");
  return axes;
}

// Factor effects of AMI and e2e accuracy at the penultimate and the best layer.
class EffectInputs {
 public:
  void add(const RunStatus& run, const std::string& at, double ami, double e2e) {
    outcomes_[{at, vocab::kAmi}].push_back({axes_of(run), ami});
    outcomes_[{at, vocab::kE2eAccuracy}].push_back({axes_of(run), e2e});
  }
  std::vector<EffectSet> effects() const {
    std::vector<EffectSet> out;
    for (const char* at : {"penultimate", "best"}) {
      for (const std::string* metric : {&vocab::kAmi, &vocab::kE2eAccuracy}) {
        const auto it = outcomes_.find({at, *metric});
        if (it != outcomes_.end()) out.push_back({at, *metric, factor_effects(it->second, kFactors)});
      }
    }
    return out;
  }

 private:
  std::map<std::pair<std::string, std::string>, std::vector<RunOutcome>> outcomes_;

 public:
  static inline const std::vector<std::string> kFactors{"dataset", "architecture", "normalization", "pretraining",
                                                        "labels"};
  /// The runs' outcomes of one metric at one layer choice (empty when none).
  std::vector<RunOutcome> outcomes(const std::string& at, const std::string& metric) const {
    const auto it = outcomes_.find({at, metric});
    return it == outcomes_.end() ? std::vector<RunOutcome>{} : it->second;
  }
};

// The clustering methods scored, in first-seen order, and the headline one:
// k-means when present (the probing protocol), else the first.
std::string headline_method(const std::vector<MetricRecord>& metrics, std::vector<std::string>& methods) {
  for (const auto& m : metrics) {
    if (is_clustering(m.method) && m.metric == vocab::kAmi &&
        std::find(methods.begin(), methods.end(), m.method) == methods.end()) {
      methods.push_back(m.method);
    }
  }
  const std::string& kmeans = name_of(Method::kmeans);
  return std::find(methods.begin(), methods.end(), kmeans) != methods.end() || methods.empty() ? kmeans
                                                                                                : methods.front();
}

// The columns a run's table shows when it has values for them.
std::vector<Column> extra_columns(const std::vector<std::string>& methods, const std::string& main) {
  std::vector<Column> extra;
  for (const auto& m : methods) {
    if (m != main) extra.push_back({"AMI " + m, vocab::kMean, m, vocab::kAmi});
  }
  extra.push_back({"silhouette", vocab::kGlobal, vocab::kLabels, vocab::kSilhouetteCosine});
  extra.push_back({"NC1 fine", vocab::kGlobal, vocab::kLabels, vocab::kNc1Fine});
  extra.push_back({"selectivity", vocab::kMean, vocab::kLabels, vocab::kSubclassSelectivity});
  extra.push_back({"modularity", vocab::kGlobal, vocab::kSsc, vocab::kModularity});
  extra.push_back({"CKA vs final", vocab::kGlobal, vocab::kCka, vocab::kLinearCkaFinal});
  return extra;
}

// One run's part of the report: every layer at its last epoch, its best layer,
// and how the scores moved with training.
struct RunPart {
  std::string terminal, markdown, html;
  std::string best;  ///< the layer with the highest mean AMI (not the input), or empty
  double best_ami = -1, input_ami = 0;
};

RunPart run_part(const std::string& title, const RunMetrics& rm, const std::string& main,
                 const std::vector<Column>& extra) {
  RunPart part;
  std::vector<std::string> header{"layer", "AMI", "acc within", "e2e acc", "global AMI", "AMI epoch 0", "AMI input"};
  std::vector<Column> shown;
  for (const auto& c : extra) {
    if (rm.has(c.scope, c.method, c.metric)) {
      shown.push_back(c);
      header.push_back(c.header);
    }
  }
  Table t(header);
  part.input_ami = rm.latest("input", vocab::kMean, main, vocab::kAmi);
  for (const auto& layer : rm.layers()) {
    const double ami = rm.latest(layer, vocab::kMean, main, vocab::kAmi);
    std::vector<std::string> row{layer, fixed(ami), fixed(rm.latest(layer, vocab::kMean, main, vocab::kAccuracy)),
                                 fixed(rm.latest(layer, vocab::kGlobal, main, vocab::kE2eAccuracy)),
                                 fixed(rm.latest(layer, vocab::kGlobal, main, vocab::kAmi)),
                                 fixed(rm.get(0, layer, vocab::kMean, main, vocab::kAmi)), fixed(part.input_ami)};
    // The CKA column shows the first stored epoch's similarity with the last.
    for (const auto& c : shown) {
      row.push_back(fixed(c.method == vocab::kCka ? rm.get(0, layer, c.scope, c.method, c.metric)
                                            : rm.latest(layer, c.scope, c.method, c.metric)));
    }
    t.add_row(row);
    if (layer != "input" && !std::isnan(ami) && ami > part.best_ami) {
      part.best_ami = ami;
      part.best = layer;
    }
  }
  const std::string best_line =
      part.best.empty() ? "best layer: -" : "best layer: " + part.best + " (mean AMI " + fixed(part.best_ami) + ")";
  part.terminal = title + "\n" + t.text() + best_line + "\n\n";
  part.markdown = "### " + title + "\n\n" + t.markdown() + "\n" + best_line + "\n\n";
  part.html = "<h3>" + html_escape(title) + "</h3>\n" + t.html() + "<p>" + html_escape(best_line) + "</p>\n";
  if (rm.epochs().size() <= 2) return part;
  for (const auto& [what, scope, metric] :
       {std::tuple<std::string, std::string, std::string>{"mean AMI", vocab::kMean, vocab::kAmi},
        {"e2e accuracy", vocab::kGlobal, vocab::kE2eAccuracy}}) {
    const Table d = dynamics(rm, scope, main, metric);
    if (d.empty()) continue;
    part.terminal += what + " by epoch (training dynamics)\n" + d.text() + "\n";
    part.markdown += what + " by epoch (training dynamics):\n\n" + d.markdown() + "\n";
    part.html += "<p>" + what + " by epoch (training dynamics):</p>\n" + d.html();
  }
  return part;
}


// What a run is for. A pretraining parent is what its children started from,
// and a fine-label run is the reference e2e accuracy is compared with: neither
// is a level of a downstream comparison (two hierarchies' fine-label runs on
// the same data are one network, and would count twice).
std::string role_of(const RunStatus& r, const std::set<std::string>& parents) {
  if (parents.count(r.id)) return "pretraining parent";
  if (r.labels == "fine") return "fine-label reference";
  return "";
}

// The study's page, run by run: each run's section, its summary row, its
// part in the effects, the figures and the findings.
class PageBuilder {
 public:
  PageBuilder(const ReportInputs& in, const std::map<std::string, RunMetrics>& by_run) : by_run_(by_run) {
    for (const auto& p : in.penultimate) penultimate_of_[p.run_id] = p.layer;
    main_ = headline_method(in.metrics, methods_);
    extra_ = extra_columns(methods_, main_);
    for (const auto& r : in.runs) {
      status_[r.id] = r;
      if (!r.pretrained_from.empty()) parents_.insert(r.pretrained_from);
    }
  }

  void add(const std::string& id, const RunMetrics& rm) {
    const int last = *rm.epochs().rbegin();
    const RunPart part = run_part(describe(id, status_) + "  (epoch " + std::to_string(last) + ")", rm, main_, extra_);
    out_.terminal += part.terminal;
    out_.markdown += part.markdown;
    if (by_run_.size() <= kMaxRunSectionsHtml) runs_html_ += part.html;
    const auto st = status_.find(id);
    const RunStatus* run = st == status_.end() ? nullptr : &st->second;
    const auto it = penultimate_of_.find(id);
    const std::string penult = it == penultimate_of_.end() ? "" : it->second;
    const double e2e_penult = penult.empty() ? kMissing : rm.latest(penult, vocab::kGlobal, main_, vocab::kE2eAccuracy);
    const double e2e_best = part.best.empty() ? kMissing : rm.latest(part.best, vocab::kGlobal, main_, vocab::kE2eAccuracy);
    chart_runs_.push_back({id,
                           run ? run->dataset + " " + run->architecture + " " + run->normalization + " seed " +
                                     std::to_string(run->seed)
                               : id,
                           &rm, penult, run ? grid_axes(*run) : detail::Axes{}});
    const std::string role = run ? role_of(*run, parents_) : "";
    if (run && run->status == RunPhase::complete) {
      if (role.empty() && !penult.empty())
        effects_.add(*run, "penultimate", rm.latest(penult, vocab::kMean, main_, vocab::kAmi), e2e_penult);
      if (role.empty() && !part.best.empty()) effects_.add(*run, "best", part.best_ami, e2e_best);
      auto twin = axes_of(*run);
      twin.erase("labels");
      std::string key;
      for (const auto& [axis, level] : twin) key += axis + "=" + level + "\x1f";
      ratio_runs_.push_back({key, run->labels, run->dataset, e2e_penult, e2e_best, run->fine_test_accuracy});
    }
    parts_.add({id, run ? run->dataset : "", run ? run->architecture : "", run ? run->normalization : "",
                run ? run->labels : "", run ? run->pretraining : "", run ? phase_name(run->status) : "-",
                fixed(run ? run->coarse_test_accuracy : kMissing), fixed(run ? run->fine_test_accuracy : kMissing),
                part.best.empty() ? "-" : part.best, fixed(part.best_ami < 0 ? kMissing : part.best_ami),
                fixed(penult.empty() ? kMissing : rm.latest(penult, vocab::kMean, main_, vocab::kAmi)),
                fixed(e2e_penult), fixed(part.input_ami)},
               role);
  }

  // Runs without any metric (failed, pending, not clustered) still get their row.
  void add_unscored(const RunStatus& r) {
    parts_.add({r.id, r.dataset, r.architecture, r.normalization, r.labels, r.pretraining, phase_name(r.status),
                fixed(r.coarse_test_accuracy), fixed(r.fine_test_accuracy), "-", fixed(kMissing), fixed(kMissing),
                fixed(kMissing), fixed(kMissing)},
               role_of(r, parents_));
  }

  ReportText finish(const ReportInputs& in) {
    const auto sets = effects_.effects();
    out_.effects_csv = effects_csv(sets);
    out_.figures = detail::study_charts(chart_runs_, main_, sets, in.similarities, in.named_runs);
    if (by_run_.size() > kMaxRunSectionsHtml)
      runs_html_ = "<p>" + std::to_string(by_run_.size()) + " runs: each run's table by layer is in " +
                   std::string(OutputLayout::kReportMdName) + ", and every value in " +
                   OutputLayout::kMetricsCsvName + " (the page keeps to the summary above).</p>\n";
    parts_.missing = missing_table(in.runs, in.failures);
    parts_.findings = detail::finding_sentences(in.findings, sets, ratio_runs_);
    parts_.pivots = detail::pivots(effects_.outcomes("penultimate", vocab::kAmi), EffectInputs::kFactors,
                                   "mean AMI of the penultimate layer");
    for (const auto& p : parts_.pivots) out_.figures.push_back(p.heatmap);
    detail::assemble(out_, in, std::move(parts_), main_, sets, runs_html_);
    return std::move(out_);
  }

 private:
  const std::map<std::string, RunMetrics>& by_run_;
  std::map<std::string, std::string> penultimate_of_;
  std::vector<std::string> methods_;
  std::string main_;
  std::vector<Column> extra_;
  std::map<std::string, RunStatus> status_;
  std::set<std::string> parents_;
  ReportText out_;
  std::string runs_html_;
  std::vector<detail::ChartRun> chart_runs_;
  std::vector<detail::RatioRun> ratio_runs_;
  EffectInputs effects_;
  PageParts parts_;
};

}  // namespace

ReportText render_report(const ReportInputs& in) {
  std::map<std::string, RunMetrics> by_run;
  for (const auto& m : in.metrics) by_run[m.run_id].add(m);
  PageBuilder page(in, by_run);
  for (const auto& [id, rm] : by_run)
    if (!rm.epochs().empty()) page.add(id, rm);
  for (const auto& r : in.runs)
    if (!by_run.count(r.id)) page.add_unscored(r);
  return page.finish(in);
}

}  // namespace cp
