#pragma once
// Run statuses on their way to the study index: the base record of a run of
// the plan, and the encoding in which the groups send theirs to rank 0.
// Private to src/pipeline.
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/plan/plan.hpp"

namespace cp {

/// Local. A run's record before anything is known about it: pending, no accuracies.
RunStatus base_status(const StudyConfig& study, const RunSpec& r);

/// Local. Statuses by run index as length-prefixed fields: any message survives.
std::string encode(const std::map<std::size_t, RunStatus>& statuses);

/// Local. Fills the runs that `bytes` (from encode) names.
void decode(const std::string& bytes, std::vector<RunStatus>& runs);

}  // namespace cp
