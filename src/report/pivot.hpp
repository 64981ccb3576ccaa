#pragma once
// The runs grouped by two axes at a time: a pivot table (levels of one axis
// as rows, of the other as columns, the mean of the main outcome and the run
// count in each cell) and its interaction heat map (each cell's departure
// from what the two axes' main effects alone predict). Private to src/report.
#include <string>
#include <vector>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/figures.hpp"
#include "clusterprobe/report/table.hpp"

namespace cp::detail {

/// Pairs of axes shown at most: five varied axes make ten pairs.
inline constexpr std::size_t kMaxPivotPairs = 10;

struct Pivot {
  std::string row_axis, column_axis;
  Table table;     ///< "mean (n)" per cell, "-" where no run
  Figure heatmap;  ///< mean minus (row mean + column mean - grand mean), runs weighted alike
};

/// Local. One pivot per pair of axes in `axes` (in that order) with two or
/// more levels among `runs` (NaN outcomes left out); `label` names the outcome.
std::vector<Pivot> pivots(const std::vector<RunOutcome>& runs, const std::vector<std::string>& axes,
                          const std::string& label);

}  // namespace cp::detail
