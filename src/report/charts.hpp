#pragma once
// The study's figures as gnuplot data and scripts. Private to src/report.
#include <string>
#include <vector>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/figures.hpp"
#include "panels.hpp"
#include "run_metrics.hpp"

namespace cp::detail {

struct ChartRun {
  std::string id;
  std::string label;        ///< e.g. fmnist/pairs-similar mlp batch seed 0
  const RunMetrics* metrics = nullptr;
  std::string penultimate;  ///< empty when unknown
  Axes axes;                ///< the grid axes without the seed; empty when unknown
};

/// Up to this many runs a figure draws each run's line; beyond, one line per
/// level of each axis (panels.hpp).
inline constexpr std::size_t kMaxRunLines = 12;

/// Local. AMI, within-superclass accuracy and e2e accuracy by layer (last
/// epoch, with epoch 0 dashed), by epoch where runs stored several, the SSC
/// graph's class-affinity ratio and modularity by layer and each layer's CKA
/// with its last epoch by epoch (when the study measured them), the factor
/// effects as dot-and-whisker charts, and the CKA matrices as heatmaps (of the
/// first kMaxHeatmapRuns runs: the rest are in metrics.h5:/similarity).
/// `named` (report.runs) adds the by-layer figures of those runs alone, run by
/// run, and chooses the runs whose CKA heat maps are drawn.
std::vector<Figure> study_charts(const std::vector<ChartRun>& runs, const std::string& method,
                                 const std::vector<EffectSet>& effects,
                                 const std::vector<SimilarityRecord>& similarities,
                                 const std::vector<std::string>& named = {});

inline constexpr std::size_t kMaxHeatmapRuns = 6;

}  // namespace cp::detail
