#include <algorithm>
#include <filesystem>
#include <ostream>

#include <spdlog/spdlog.h>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/report/figures.hpp"
#include "clusterprobe/report/report.hpp"

namespace cp {

namespace fs = std::filesystem;

bool report_stage(const std::string& out_dir, MPI_Comm world, std::ostream& out) {
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
    if (clustered) {
      auto tables = read_metrics_tables(metrics_path);
      in.metrics = std::move(tables.metrics);
      in.failures = std::move(tables.failures);
      in.penultimate = std::move(tables.penultimate);
      in.similarities = std::move(tables.similarities);
    }
    const auto report = render_report(in);
    // Written before it is shown: a report that cannot be saved is an error, not a success on screen.
    write_file_atomically(layout.report_md(), report.markdown);
    write_file_atomically(layout.effects_csv(), report.effects_csv);
    const auto rendered = render_figures(layout.figures(), report.figures);
    std::string html = report.html;
    html.replace(html.find(kFiguresMark), std::string(kFiguresMark).size(), figures_html(report.figures, rendered));
    write_file_atomically(layout.report_html(), html);
    if (!rendered.note.empty()) spdlog::warn("report: {}", rendered.note);
    if (!in.runs.empty()) write_runs_csv(layout.runs_csv(), in.runs);
    out << report.terminal << std::flush;
    int complete = in.failures.empty() ? 1 : 0;
    for (const auto& r : in.runs) complete = complete && r.status == RunPhase::complete;
    return complete;
  }) != 0;
}

}  // namespace cp
