#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <ostream>

#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/pipeline/stages.hpp"

namespace cp {

namespace fs = std::filesystem;

std::string run_dir(const StudyConfig& study, const std::string& run_id) {
  return (fs::path(study.output) / "runs" / run_id).string();
}

std::string run_file(const StudyConfig& study, const std::string& run_id) {
  return (fs::path(run_dir(study, run_id)) / "activations.h5").string();
}

std::vector<ClusterInput> study_inputs(const StudyConfig& study) {
  std::vector<ClusterInput> inputs;
  for (const auto& run : expand_grid(study)) {
    const auto path = run_file(study, run.id);
    // Only the final name counts: the writer renames a file once it is complete.
    if (fs::exists(path)) inputs.push_back({run.id, path});
  }
  return inputs;
}

void print_plan(const StudyConfig& study, std::ostream& out) {
  const auto grid = expand_grid_explained(study);
  const auto& runs = grid.runs;
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
        << r.cost << std::setw(10) << (fs::exists(run_file(study, r.id)) ? "complete" : "todo")
        // The dependency: this run starts from that run's final weights.
        << (r.parent_id.empty() ? "-" : r.parent_id) << "\n";
  }
  for (const auto& s : grid.skipped) out << "skipped: " << s << "\n";
}

}  // namespace cp
