// The planning step: names checked against their owners' registries, then
// the grid expanded once (see plan.hpp).
#include "clusterprobe/plan/plan.hpp"

#include <algorithm>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/models/registry.hpp"
#include "grid.hpp"
#include "pretraining.hpp"

namespace cp {
namespace {

std::string list(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// Every run extracts the same layers, so each must exist in every
// architecture (a TorchScript model's names are known once its file is loaded).
void check_probe_point(const std::string& layer, const StudyConfig& study) {
  for (const auto& arch : study.grid.architecture) {
    if (is_scripted_architecture(arch)) continue;
    const auto probes = probe_points(arch);
    if (std::find(probes.begin(), probes.end(), layer) == probes.end())
      throw ConfigError("'" + layer + "' is not a probe point of architecture '" + arch +
                        "' (its probe points: " + list(probes) + ")");
  }
}

// The owner of each key checks its value; its message becomes the problem.
void check_name(const SourcedName& n, const StudyConfig& study) {
  if (n.key == "grid.dataset") check_dataset_spec(n.value, study.data);
  if (n.key == "grid.architecture") check_architecture(n.value);
  if (n.key == "grid.pretraining") detail::check_pretraining(n.value, study.data);
  if (n.key == "extract.layers") check_probe_point(n.value, study);
  if (n.key == "cluster.preprocess") check_preprocess_step(n.value);
  if (n.key == "grid.normalization") {
    const auto& known = known_normalizations();
    if (std::find(known.begin(), known.end(), n.value) == known.end())
      throw ConfigError("unknown value '" + n.value + "' (known: " + list(known) + ")");
  }
}

}  // namespace

Plan make_plan(StudyConfig study) {
  for (const auto& n : study.names) {
    try {
      check_name(n, study);
    } catch (const ConfigError& e) {
      throw ConfigError(n.where + ": " + n.key + ": " + e.what());
    } catch (const InputError& e) {
      // A bad hierarchy or data file is a bad input (exit 3), not a bad study.
      throw InputError(n.where + ": " + n.key + ": " + e.what());
    }
  }
  Plan plan;
  plan.study = std::move(study);
  detail::expand_into(plan);
  if (plan.runs.empty()) {
    std::string why;
    for (const auto& skipped : plan.skipped) why += "\n  " + skipped;
    throw ConfigError(plan.study.source_path + ": grid: no combination of the axes makes a run:" + why);
  }
  return plan;
}

std::vector<RunSpec> expand_grid(const StudyConfig& study) { return make_plan(study).runs; }

}  // namespace cp
