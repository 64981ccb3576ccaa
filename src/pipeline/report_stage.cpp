#include <algorithm>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>

#include <spdlog/spdlog.h>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/report/figures.hpp"
#include "clusterprobe/report/report.hpp"
#include "run_status.hpp"

namespace cp {

namespace fs = std::filesystem;

namespace {

template <class Record>
void keep_planned(std::vector<Record>& records, const std::set<std::string>& planned) {
  records.erase(std::remove_if(records.begin(), records.end(),
                               [&](const Record& r) { return !r.run_id.empty() && !planned.count(r.run_id); }),
                records.end());
}

// A report of `plan` shows its runs only: outputs of runs the study no longer
// plans (another setting trained them) are left out, a planned run the index
// does not know yet is pending, and a trained run without metrics is a
// failed item that names the command that clusters it.
void restrict_to_plan(ReportInputs& in, const Plan& plan, bool clustered) {
  std::map<std::string, RunStatus> indexed;
  for (auto& r : in.runs) indexed[r.id] = std::move(r);
  in.runs.clear();
  std::set<std::string> planned, scored;
  for (const auto& m : in.metrics) scored.insert(m.run_id);
  for (const auto& f : in.failures) scored.insert(f.run_id);
  const OutputLayout layout(plan.study.output);
  for (const auto& run : plan.runs) {
    planned.insert(run.id);
    const auto it = indexed.find(run.id);
    in.runs.push_back(it != indexed.end() ? it->second : base_status(plan.study, run));
    if (clustered && in.runs.back().status == RunPhase::complete && !scored.count(run.id))
      in.failures.push_back({run.id, "", 0, layout.run(run.id).activations(),
                             "trained but not clustered: run `clusterprobe cluster " + plan.study.source_path +
                                 "` (with this command's overrides)"});
  }
  keep_planned(in.metrics, planned);
  keep_planned(in.failures, planned);
  keep_planned(in.penultimate, planned);
  keep_planned(in.similarities, planned);
}

// What the metrics were clustered with, against what the study asks now.
std::vector<std::string> clustering_differences(const std::string& metrics_path, const StudyConfig& study) {
  const auto stored = clustering_settings(parse_study(read_study_config(metrics_path), metrics_path));
  std::map<std::string, std::string> before(stored.begin(), stored.end());
  std::vector<std::string> out;
  for (const auto& [key, value] : clustering_settings(study)) {
    const auto it = before.find(key);
    const std::string was = it == before.end() ? "(not set)" : it->second;
    if (was != value)
      out.push_back(key + " is " + value + " in the study but was " + was + " when " + metrics_path + " was written");
  }
  return out;
}

// A run trained again after it was clustered (its file deleted and trained
// anew, with other threads or ranks) has metrics.h5 numbers of a training
// that no longer exists: they are not shown as its, and the run is listed
// with the command that scores the file there now.
void drop_retrained(ReportInputs& in, const std::vector<SourceRecord>& sources, const OutputLayout& layout) {
  std::set<std::string> stale;
  for (const auto& source : sources) {
    const std::string path = layout.run(source.run_id).activations();
    if (!fs::exists(path)) continue;  // a lost file is the cluster stage's to report
    std::string now;
    try {
      now = training_stamp(ActivationFile(path));
    } catch (const InputError& e) {
      now = std::string("unreadable: ") + e.what();
    }
    if (now == source.trained) continue;
    stale.insert(source.run_id);
    in.failures.push_back({source.run_id, "", 0, path,
                           "trained again after " + layout.metrics_h5() +
                               " was written: its metrics there are of the earlier training and are not shown; "
                               "run `clusterprobe cluster` to score this one"});
    spdlog::error("report: run {}: {}", source.run_id, in.failures.back().message);
  }
  auto is_stale = [&](const auto& r) { return stale.count(r.run_id) > 0; };
  in.metrics.erase(std::remove_if(in.metrics.begin(), in.metrics.end(), is_stale), in.metrics.end());
  in.similarities.erase(std::remove_if(in.similarities.begin(), in.similarities.end(), is_stale),
                        in.similarities.end());
}

// The report's outputs are read together (the page quotes the text, the
// text the effects): all are written under temporary names, the figures in
// report/fig.tmp, and only then renamed, so a full disk leaves all of them
// old instead of a new report.md beside an old page.
RenderedFigures write_report_files(const OutputLayout& layout, const ReportText& report) {
  const fs::path staging = layout.figures_staging();
  std::error_code ec;
  fs::remove_all(staging, ec);
  ReplaceTogether outputs;
  RenderedFigures rendered;
  try {
    rendered = render_figures(staging.string(), report.figures, layout.figures());
    fs::create_directories(layout.figures());
    for (const auto& entry : fs::directory_iterator(staging))
      outputs.stage_written(entry.path().string(), (fs::path(layout.figures()) / entry.path().filename()).string());
    outputs.stage(layout.effects_csv(), report.effects_csv);
    outputs.stage(layout.report_md(), report.markdown);
    std::string html = report.html;
    html.replace(html.find(kFiguresMark), std::string(kFiguresMark).size(), figures_html(report.figures, rendered));
    outputs.stage(layout.report_html(), html);
  } catch (const std::exception& e) {
    // A full or read-only disk while staging (IoError, or filesystem_error
    // from a directory): every output is still the old one.
    fs::remove_all(staging, ec);
    if (!dynamic_cast<const IoError*>(&e) && !dynamic_cast<const fs::filesystem_error*>(&e)) throw;
    throw IoError(message_of(e) + "; " + layout.report_md() + ", " + layout.effects_csv() + ", " +
                  layout.report_html() + " and " + layout.figures() +
                  " were left as they were (a report is replaced whole or not at all)");
  }
  outputs.commit();
  fs::remove_all(staging, ec);
  return rendered;
}

}  // namespace

bool report_stage(const std::string& out_dir, const Plan* plan, MPI_Comm world, std::ostream& out,
                  const std::vector<std::string>& caveats) {
  return from_root<int>(world, [&] {
    const OutputLayout layout(out_dir);
    const std::string metrics_path = layout.metrics_h5();
    ReportInputs in;
    if (const auto index = layout.study_index(); fs::exists(index)) in.runs = read_study_index(index);
    const bool clustered = fs::exists(metrics_path);
    // Without metrics a report still says which runs failed, when some did.
    if (!clustered &&
        std::all_of(in.runs.begin(), in.runs.end(), [](const RunStatus& r) { return r.status == RunPhase::complete; }))
      throw InputError(metrics_path + ": missing: run the cluster stage first");
    std::vector<SourceRecord> sources;
    if (clustered) {
      auto tables = read_metrics_tables(metrics_path);
      in.metrics = std::move(tables.metrics);
      in.failures = std::move(tables.failures);
      in.penultimate = std::move(tables.penultimate);
      in.similarities = std::move(tables.similarities);
      sources = std::move(tables.sources);
    }
    if (plan) {
      in.findings = plan->study.findings;
      std::set<std::string> planned;
      for (const auto& run : plan->runs) planned.insert(run.id);
      for (const auto& id : plan->study.report_runs)
        if (!planned.count(id))
          throw ConfigError("report.runs: '" + id + "' is not a run of this study (`clusterprobe plan` lists them)");
      in.named_runs = plan->study.report_runs;
      keep_planned(sources, planned);
      drop_retrained(in, sources, layout);
      restrict_to_plan(in, *plan, clustered);
    }
    if (plan && clustered) {
      for (const auto& d : clustering_differences(metrics_path, plan->study)) {
        spdlog::error("report: {}: cluster again", d);
        in.notes.push_back(d + ": these metrics are not the study's; run `clusterprobe cluster` with its settings");
      }
    }
    const bool noted = !in.notes.empty();
    in.notes.insert(in.notes.begin(), caveats.begin(), caveats.end());
    const auto report = render_report(in);
    // Written before it is shown: a report that cannot be saved is an error, not a success on screen.
    const auto rendered = write_report_files(layout, report);
    if (!rendered.note.empty()) spdlog::warn("report: {}", rendered.note);
    if (!in.runs.empty()) write_runs_csv(layout.runs_csv(), in.runs);
    out << report.terminal << std::flush;
    int complete = in.failures.empty() && !noted ? 1 : 0;
    for (const auto& r : in.runs) complete = complete && r.status == RunPhase::complete;
    return complete;
  }) != 0;
}

}  // namespace cp
