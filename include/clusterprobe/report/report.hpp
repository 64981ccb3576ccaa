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

/// Local. `runs` may be empty (files analysed outside a study).
ReportText render_report(const std::vector<MetricRecord>& metrics, const std::vector<RunStatus>& runs);

}  // namespace cp
