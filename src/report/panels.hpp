#pragma once
// Figures that aggregate: one panel per grid axis with two or more levels,
// one line per level (the mean over every run at that level, with its 95%
// bootstrap band, epoch 0 dashed), so that a study of a thousand runs draws
// a dozen lines per panel, not a thousand. Private to src/report.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "clusterprobe/report/figures.hpp"

namespace cp::detail {

/// A run's grid coordinates without its seed (the seeds are what is averaged).
using Axes = std::map<std::string, std::string>;

/// One run's curve: its value at each of the figure's x positions (NaN where
/// it has none), at the last epoch and at epoch 0.
struct RunCurve {
  Axes axes;
  std::vector<double> last, start;
};

struct PanelSpec {
  std::string name, title, xlabel, ylabel;
  std::vector<double> xs;  ///< the shared x positions
  std::string reading;
};

/// Local. The figure, or none (empty name) when no curve has a value.
Figure axis_panels(const PanelSpec& spec, const std::vector<RunCurve>& curves);

/// Levels per panel at most: more would need a legend nobody reads.
inline constexpr std::size_t kMaxPanelLevels = 12;

/// Local. `points` (x ascending) linearly interpolated at each of `xs` (NaN
/// outside their range): runs of different depths meet on one grid.
std::vector<double> interpolate(const std::vector<std::pair<double, double>>& points, const std::vector<double>& xs);

}  // namespace cp::detail
