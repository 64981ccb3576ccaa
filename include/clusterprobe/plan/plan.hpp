#pragma once
// The planning step: between reading a study file (config/) and any MPI work.
// It checks the study's names against the registries of the subsystems that
// own them (datasets and hierarchies in data/, architectures, normalizations
// and probe points in models/, preprocessing steps in cluster/) and expands
// the grid into runs, once per command; every stage then works from the Plan.
#include <iosfwd>
#include <string>
#include <vector>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/run_spec.hpp"

namespace cp {

struct Plan {
  StudyConfig study;
  /// The runs of the grid, in a stable order: the pretraining runs first
  /// (each once, however many runs use it), then the grid's runs (grid order:
  /// dataset, architecture, normalization, pretraining, labels, seed; last
  /// axis fastest); identical runs appear once.
  std::vector<RunSpec> runs;
  /// Combinations that make no run (a normalization the architecture lacks,
  /// torchscript without its file), each with the reason: `plan` shows them.
  std::vector<std::string> skipped;
};

/// Local. Checks every name of `study` (ConfigError "<file>:<line>: <key>:
/// <problem>"; an invalid hierarchy or data file the same way, as an
/// InputError), then
/// expands the grid. ConfigError when no combination of the axes makes a run.
Plan make_plan(StudyConfig study);

/// Local. make_plan(study).runs: for callers that need only the runs.
std::vector<RunSpec> expand_grid(const StudyConfig& study);

/// Local. Why the activations file at `path` is not complete for `run`
/// (empty when it is; see io/activations.hpp).
std::string incomplete_reason(const std::string& path, const RunSpec& run);

/// Local. Prints the expanded runs (id, axes, cost, whether already complete).
void print_plan(const Plan& plan, std::ostream& out);

}  // namespace cp
