#pragma once
// The resolved configuration as YAML text, in a fixed key order: what output
// files record, and (for a run) what its id hashes. Private to src/config.
#include <string>

#include "clusterprobe/config/study.hpp"

namespace cp::detail {

/// Every field of the study, defaults included.
std::string resolved_study_yaml(const StudyConfig& study);

/// Only the fields that determine a run's results.
std::string resolved_run_yaml(const RunSpec& run);

}  // namespace cp::detail
