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
  const auto runs = expand_grid(study);
  out << "study " << study.study << ": " << runs.size() << " runs -> " << study.output << "\n";
  out << std::left << std::setw(18) << "id" << std::setw(26) << "dataset" << std::setw(8) << "arch"
      << std::setw(7) << "norm" << std::setw(10) << "pretrain" << std::setw(6) << "seed"
      << std::setw(10) << "cost" << "state\n";
  for (const auto& r : runs) {
    out << std::setw(18) << r.id << std::setw(26) << r.dataset << std::setw(8) << r.architecture
        << std::setw(7) << r.normalization << std::setw(10) << r.pretraining << std::setw(6)
        << r.seed << std::setw(10) << std::setprecision(3) << r.cost
        << (fs::exists(run_file(study, r.id)) ? "complete" : "todo") << "\n";
  }
}

}  // namespace cp
