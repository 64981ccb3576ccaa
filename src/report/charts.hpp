#pragma once
// The study's figures as gnuplot data and scripts. Private to src/report.
#include <string>
#include <vector>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/figures.hpp"
#include "run_metrics.hpp"

namespace cp::detail {

struct ChartRun {
  std::string label;        ///< e.g. fmnist/pairs-similar mlp batch seed 0
  const RunMetrics* metrics = nullptr;
  std::string penultimate;  ///< empty when unknown
};

/// Local. AMI, within-superclass accuracy and e2e accuracy by layer (last
/// epoch, with epoch 0 dashed), by epoch where runs stored several, and the
/// factor effects as dot-and-whisker charts.
std::vector<Figure> study_charts(const std::vector<ChartRun>& runs, const std::string& method,
                                 const std::vector<EffectSet>& effects);

}  // namespace cp::detail
