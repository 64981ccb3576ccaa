// What of a plan is already on disk: `plan`'s state column, and the check
// every stage makes before it trusts a run's activations file.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/plan/plan.hpp"

namespace cp {

namespace fs = std::filesystem;

std::string incomplete_reason(const std::string& path, const RunSpec& run) {
  return incomplete_reason(path, run.id, run.extract.layers);
}

namespace {

// complete, todo (nothing yet) or redo (a file that is not complete: trained again).
std::string state_of(const std::string& path, const RunSpec& run) {
  if (!fs::exists(path)) return "todo";
  return incomplete_reason(path, run).empty() ? "complete" : "redo";
}

// "trainings: 3 for 4 runs (1 run is scored from another's training: 24% of
// the training cost saved)".
std::string sharing_summary(const std::vector<RunSpec>& runs) {
  double all = 0, saved = 0;
  std::size_t shared = 0;
  for (const auto& r : runs) {
    all += r.training_cost;
    if (r.trained_by == r.id) continue;
    ++shared;
    saved += r.training_cost;
  }
  std::ostringstream out;
  out << runs.size() - shared << (runs.size() - shared == 1 ? " training" : " trainings");
  if (shared == 0) return out.str() + " (each run its own network)";
  out << " (" << shared << (shared == 1 ? " run is" : " runs are")
      << " scored from another run's training, the same network: " << std::fixed << std::setprecision(0)
      << (all > 0 ? 100.0 * saved / all : 0.0) << "% of the training cost saved)";
  return out.str();
}

}  // namespace

void print_plan(const Plan& grid, std::ostream& out) {
  const StudyConfig& study = grid.study;
  const auto& runs = grid.runs;
  const OutputLayout layout(study.output);
  const auto pretraining = std::count_if(runs.begin(), runs.end(),
                                         [](const RunSpec& r) { return r.is_pretraining; });
  out << "study " << study.study << ": " << runs.size() << " runs (" << pretraining << " pretraining), "
      << sharing_summary(runs) << " -> " << study.output << "\n";
  std::vector<std::vector<std::string>> rows{
      {"id", "dataset", "arch", "norm", "labels", "pretraining", "seed", "cost", "state", "after", "trained"}};
  for (const auto& r : runs) {
    std::ostringstream cost;
    cost << std::setprecision(3) << r.cost;
    rows.push_back({r.id, r.dataset, r.architecture, r.normalization, r.labels, r.pretraining, std::to_string(r.seed),
                    cost.str(), state_of(layout.run(r.id).activations(), r),
                    // The dependency: this run starts from that run's final weights.
                    r.parent_id.empty() ? "-" : r.parent_id,
                    // The run whose training makes this run's network.
                    r.trained_by == r.id ? "here" : r.trained_by});
  }
  // Each column as wide as its longest value: a long hierarchy path or
  // pretraining source never runs into the next column.
  std::vector<std::size_t> width(rows[0].size(), 0);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  for (const auto& row : rows) {
    for (std::size_t c = 0; c + 1 < row.size(); ++c) out << std::left << std::setw(static_cast<int>(width[c] + 2)) << row[c];
    out << row.back() << "\n";
  }
  for (const auto& s : grid.skipped) out << "skipped: " << s << "\n";
}

}  // namespace cp
