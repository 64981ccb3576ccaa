#pragma once
// The study report: per run, a table of layers with the clustering metrics
// beside the two baselines (raw input, untrained network), and the best layer.
#include <string>
#include <vector>

#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace cp {

struct ReportText {
  std::string terminal;
  std::string markdown;
};

/// Local. `runs` may be empty (files analysed outside a study). Runs that are
/// not complete and `failures` (items the cluster stage could not score) are
/// listed with their messages.
ReportText render_report(const std::vector<MetricRecord>& metrics, const std::vector<RunStatus>& runs,
                         const std::vector<FailureRecord>& failures = {});

}  // namespace cp
