#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>
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

std::string incomplete_reason(const std::string& path, const RunSpec& run) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return "not trained yet";
  try {
    const ActivationFile file(path);
    if (!file.complete()) return "its 'complete' attribute is not 1";
    if (file.string_attr("run_id") != run.id)
      return "it belongs to run '" + file.string_attr("run_id") + "'";
    // Every stored epoch the writer listed must hold every probe point the run extracts.
    std::set<std::pair<int, std::string>> held;
    for (const auto& k : file.layers()) held.insert({k.epoch, k.layer});
    const std::string listed = file.string_attr("stored_epochs");
    if (listed.empty()) return "it lists no stored epochs";
    std::istringstream epochs(listed);
    for (std::string e; std::getline(epochs, e, ',');) {
      const int epoch = std::atoi(e.c_str());
      for (const auto& layer : run.extract.layers) {
        // The raw inputs do not change with training: stored at epoch 0 only.
        const bool once = layer == "input" && epoch != 0;
        if (layer != "all" && !once && !held.count({epoch, layer}))
          return "/epoch_" + e + "/" + layer + " is missing";
      }
      if (std::none_of(held.begin(), held.end(), [&](const auto& h) { return h.first == epoch; }))
        return "/epoch_" + e + " is missing";
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

std::vector<ClusterInput> study_inputs(const Plan& plan) {
  const StudyConfig& study = plan.study;
  std::vector<ClusterInput> inputs;
  for (const auto& run : plan.runs) {
    const auto path = run_file(study, run.id);
    const std::string why = incomplete_reason(path, run);
    if (why.empty()) {
      inputs.push_back({run.id, path});
    } else if (fs::exists(path)) {
      spdlog::warn("run {}: {} is not complete ({}): not clustered", run.id, path, why);
    }
  }
  return inputs;
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
        << r.cost << std::setw(10) << state_of(run_file(study, r.id), r)
        // The dependency: this run starts from that run's final weights.
        << (r.parent_id.empty() ? "-" : r.parent_id) << "\n";
  }
  for (const auto& s : grid.skipped) out << "skipped: " << s << "\n";
}

}  // namespace cp
