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
#include "page_script.hpp"
#include "run_metrics.hpp"

namespace cp {
namespace {

using detail::is_clustering;
using detail::kMissing;
using detail::RunMetrics;

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

std::string missing_title(const Table& t) {
  return "Not complete: " + std::to_string(t.rows()) + " run(s) or item(s)";
}

// The page around the report's parts: self-contained (no script, font or
// style sheet from elsewhere), so it opens offline wherever it is copied.
std::string html_page(const std::string& body) {
  std::string note;
  const std::string script = detail::sortable_tables_script(note);
  return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<title>ClusterProbe report</title>\n<style>\n"
         "body{font-family:sans-serif;margin:2em;max-width:80em;color:#222}\n"
         "table{border-collapse:collapse;margin:0.5em 0 1.5em}td,th{border:1px solid #ccc;padding:0.2em 0.6em;"
         "text-align:right}th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n"
         "figure{margin:1em 0 2em}figcaption{font-size:0.95em;color:#444}.reading{font-style:italic}\n"
         ".note{background:#fff4d6;padding:0.5em}\n"
         // tablesorter's filter marks the rows it hides; its themes' CSS is not inlined, this is all it needs.
         "table.tablesorter tr.filtered{display:none}table.tablesorter thead th{cursor:pointer}"
         "table.tablesorter input.tablesorter-filter{width:100%;box-sizing:border-box}\n</style>\n</head>\n<body>\n" +
         (note.empty() ? "" : "<p class=\"note\">" + html_escape(note) + "</p>\n") + body + script +
         "</body>\n</html>\n";
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
    static const std::vector<std::string> kFactors{"dataset", "architecture", "normalization", "pretraining", "labels"};
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

Table summary_table(bool references = false) {
  std::vector<std::string> header{"run", "dataset", "arch", "norm", "labels", "pretraining", "status", "coarse acc",
                                  "fine acc", "best layer", "AMI", "penult. AMI*", "e2e acc*", "input AMI"};
  if (references) header.insert(header.begin() + 1, "role");
  return Table(header);
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

// What the page is made of besides the runs' own sections.
struct PageParts {
  Table summary = summary_table();
  Table references = summary_table(true);  ///< pretraining parents and fine-label runs
  Table missing{{}};
  std::vector<std::string> findings;  ///< one sentence each, with its verdict

  void add(std::vector<std::string> row, const std::string& role) {
    if (role.empty()) return summary.add_row(std::move(row));
    row.insert(row.begin() + 1, role);
    references.add_row(std::move(row));
  }
};

// The references' section: title, text, markdown, HTML; empty without any.
std::array<std::string, 3> references_section(const Table& t) {
  if (t.empty()) return {};
  const std::string title = "Pretraining parents and fine-label references";
  const std::string why = "What the children started from, and the fine-label accuracy that e2e accuracy is compared "
                          "with; not levels in the factor effects.";
  return {title + "\n" + t.text() + "\n", "## " + title + "\n\n" + why + "\n\n" + t.markdown() + "\n",
          "<h2>" + title + "</h2>\n<p>" + why + "</p>\n" + t.html()};
}

// The Findings section: title, text, markdown, HTML; empty without findings.
std::array<std::string, 3> findings_section(const std::vector<std::string>& sentences) {
  if (sentences.empty()) return {};
  const std::string why = "What the study file says it reproduces (findings:), each with what was measured here "
                          "and a verdict: reproduced or contradicted only where the comparison is clear.";
  std::string text = "\nfindings\n", md = "## Findings\n\n" + why + "\n\n", html = "<h2>Findings</h2>\n<p>" +
                                                                             html_escape(why) + "</p>\n<ul>\n";
  for (const auto& s : sentences) {
    text += "- " + s + "\n";
    md += "- " + s + "\n";
    html += "<li>" + html_escape(s) + "</li>\n";
  }
  return {text, md + "\n", html + "</ul>\n"};
}

// The page's frame around the parts: summary, references, factor effects,
// figures, what is not complete, then each run.
void assemble(ReportText& out, const ReportInputs& in, PageParts tables, const std::string& main,
              const std::vector<EffectSet>& sets, const std::string& runs_html) {
  Table& summary = tables.summary;
  const Table& missing = tables.missing;
  const bool fine_shown = !summary.drop_blank_column("fine acc");
  // What needs attention first: failed, then unfinished, then complete runs.
  summary.order_rows(6, [](const std::string& phase) {
    return phase == "failed" ? 0 : phase == "running" ? 1 : phase == "pending" ? 2 : phase == "complete" ? 3 : 4;
  });
  tables.references.drop_blank_column("fine acc");
  const auto refs = references_section(tables.references);
  const auto found = findings_section(tables.findings);
  // What makes the numbers below not the study's comes before them.
  std::string notes, notes_md, notes_html;
  for (const auto& n : in.notes) {
    notes += "NOTE: " + n + "\n";
    notes_md += "> **Note:** " + n + "\n\n";
    notes_html += "<p class=\"note\">" + html_escape(n) + "</p>\n";
  }
  const std::string legend =
      "AMI: mean over superclasses of " + main + " (k = subclasses) vs subclass labels; acc within: "
      "Hungarian-matched accuracy inside each true superclass; e2e acc: network's coarse prediction, "
      "then nearest subclass centre; *: penultimate layer; CKA vs final: linear CKA of epoch 0 with the last epoch" +
      std::string(fine_shown ? "; fine acc: test accuracy of a network trained on the fine labels (compare with e2e "
                               "acc of the coarse-trained one)"
                             : "") +
      ".\n";
  std::string said, said_html;
  for (const auto& sentence : effect_sentences(sets)) {
    said += "- " + sentence + "\n";
    said_html += "<li>" + html_escape(sentence) + "</li>\n";
  }
  const std::string method =
      std::string("Per axis, a permutation test that its levels differ; then the mean difference between two levels "
                  "over runs matched on every other axis (seed included), with a sign-flip permutation p-value "
                  "Holm-adjusted over every comparison of the same outcome, and a bootstrap interval widened to the "
                  "same step (its level is stated). A difference is called clear only when the adjusted p is below "
                  "0.05 and its interval excludes 0; the largest come first. Every level's mean and interquartile "
                  "mean is in ") +
      OutputLayout::kEffectsCsvName + ".";
  out.terminal += notes + "summary\n" + summary.text() + legend + refs[0] + found[0] +
                  "\nfactor effects (Holm-adjusted over the comparisons: the report says how)\n" + said +
                  "\n" + (missing.empty() ? "" : missing_title(missing) + "\n" + missing.text() + "\n");
  out.markdown = "# ClusterProbe report\n\n" + notes_md + "## Summary\n\n" + summary.markdown() + "\n" + legend +
                 "\n" + refs[1] + found[1] + "## Factor effects\n\n" + method + "\n\n" + said + "\n" +
                 (missing.empty() ? "" : "## " + missing_title(missing) + "\n\n" + missing.markdown() + "\n") +
                 "## Runs\n\n" + out.markdown;
  out.html = html_page("<h1>ClusterProbe report</h1>\n" + notes_html + "<h2>Summary</h2>\n" +
                       summary.html("id=\"runs\" class=\"" + std::string(detail::kSortableClass) + "\"") + "<p>" +
                       html_escape(legend) + "</p>\n" + refs[2] + found[2] + "<h2>Factor effects</h2>\n<p>" + html_escape(method) +
                       "</p>\n<ul>\n" + said_html + "</ul>\n<h2>Figures</h2>\n" + kFiguresMark + "\n" +
                       (missing.empty() ? "" : "<h2>" + html_escape(missing_title(missing)) + "</h2>\n" + missing.html()) +
                       "<h2>Runs</h2>\n" + runs_html);
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
      ratio_runs_.push_back({key, run->labels, e2e_penult, e2e_best, run->fine_test_accuracy});
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
    out_.figures = detail::study_charts(chart_runs_, main_, sets, in.similarities);
    if (by_run_.size() > kMaxRunSectionsHtml)
      runs_html_ = "<p>" + std::to_string(by_run_.size()) + " runs: each run's table by layer is in " +
                   std::string(OutputLayout::kReportMdName) + ", and every value in " +
                   OutputLayout::kMetricsCsvName + " (the page keeps to the summary above).</p>\n";
    parts_.missing = missing_table(in.runs, in.failures);
    parts_.findings = detail::finding_sentences(in.findings, sets, ratio_runs_);
    assemble(out_, in, std::move(parts_), main_, sets, runs_html_);
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
