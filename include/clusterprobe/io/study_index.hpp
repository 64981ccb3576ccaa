#pragma once
// <out>/study.h5: external links to every run file and a /runs table.
//   /runs/{id, dataset, architecture, normalization, pretraining, status, message, file}  strings [R]
//   /runs/{labels, pretrained_from}  strings [R]  (training targets; id of the pretraining run or "")
//   /runs/seed int32 [R], /runs/{coarse,fine}_test_accuracy float64 [R] (NaN when unknown)
//   /files/<id> -> external link to runs/<id>/activations.h5:/   (complete runs only)
#include <limits>
#include <string>
#include <vector>
#include <optional>

namespace cp {

/// Where a run stands. The study index records pending, complete or failed;
/// `status` also shows a run that a live command is training as running.
enum class RunPhase { pending, running, complete, failed };

/// Local. The phase's name in files and on screen.
const std::string& phase_name(RunPhase phase);

/// Local. The phase named `name`, or nothing for another name.
std::optional<RunPhase> parse_phase(const std::string& name);


struct RunStatus {
  std::string id, dataset, architecture, normalization, pretraining;
  int seed = 0;
  RunPhase status = RunPhase::pending;
  std::string message;  ///< reason of a failure
  std::string file;     ///< activations file, relative to the study directory
  double coarse_test_accuracy = 0;  ///< NaN when unknown
  std::string labels = "coarse";    ///< what the network was trained on
  std::string pretrained_from;      ///< the pretraining run's id, or empty
  double fine_test_accuracy = std::numeric_limits<double>::quiet_NaN();  ///< fine-label runs only
};

/// Local (call on one rank). Writes study.h5 under a tmp name, then renames.
void write_study_index(const std::string& path, const std::vector<RunStatus>& runs,
                       const std::string& study_name, const std::string& config_yaml);

/// Local (call on one rank). <out>/runs.csv, the same table for pandas: one
/// row per run with its grid axes (column run_id, to join metrics.csv on).
void write_runs_csv(const std::string& path, const std::vector<RunStatus>& runs);

/// Local. The study's resolved configuration (YAML) recorded in study.h5, or
/// in metrics.h5 (what the cluster stage ran with).
std::string read_study_config(const std::string& path);

/// Local. The study's name recorded in study.h5 (attribute "study"), or ""
/// when the file cannot be read or has none.
std::string read_study_name(const std::string& path) noexcept;

/// Local. Throws InputError if the file is missing or malformed.
std::vector<RunStatus> read_study_index(const std::string& path);

}  // namespace cp
