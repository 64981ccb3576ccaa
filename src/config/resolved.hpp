#pragma once
// The resolved configuration as YAML text, in a fixed key order: what output
// files record, and (for a run) what its id hashes. Private to src/config.
#include <string>

#include "clusterprobe/config/study.hpp"

namespace cp::detail {

/// Every field of the study, defaults included.
std::string resolved_study_yaml(const StudyConfig& study);


}  // namespace cp::detail
