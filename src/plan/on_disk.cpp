// What of a plan is already on disk: `plan`'s state column, and the check
// every stage makes before it trusts a run's activations file.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <ostream>

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

}  // namespace

void print_plan(const Plan& grid, std::ostream& out) {
  const StudyConfig& study = grid.study;
  const auto& runs = grid.runs;
  const OutputLayout layout(study.output);
  const auto pretraining = std::count_if(runs.begin(), runs.end(),
                                         [](const RunSpec& r) { return r.is_pretraining; });
  out << "study " << study.study << ": " << runs.size() << " runs (" << pretraining
      << " pretraining) -> " << study.output << "\n";
  out << std::left << std::setw(18) << "id" << std::setw(30) << "dataset" << std::setw(12)
      << "arch" << std::setw(9) << "norm" << std::setw(7) << "labels" << std::setw(24)
      << "pretraining" << std::setw(5) << "seed" << std::setw(10) << "cost" << std::setw(10)
      << "state" << "after\n";
  for (const auto& r : runs) {
    out << std::setw(18) << r.id << std::setw(30) << r.dataset << std::setw(12) << r.architecture
        << std::setw(9) << r.normalization << std::setw(7) << r.labels << std::setw(24)
        << r.pretraining << std::setw(5) << r.seed << std::setw(10) << std::setprecision(3)
        << r.cost << std::setw(10) << state_of(layout.run(r.id).activations(), r)
        // The dependency: this run starts from that run's final weights.
        << (r.parent_id.empty() ? "-" : r.parent_id) << "\n";
  }
  for (const auto& s : grid.skipped) out << "skipped: " << s << "\n";
}

}  // namespace cp
