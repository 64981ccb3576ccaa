#pragma once
// Static work assignment: every rank computes the same answer from the same
// inputs, so no communication is needed to agree on who does what.
#include <vector>

namespace cp {

/// Local. Longest-processing-time-first: tasks sorted by decreasing cost
/// (ties by index) go to the currently least-loaded worker (ties: lowest id).
/// Returns the worker of each task. Requires workers >= 1.
std::vector<int> assign_lpt(const std::vector<double>& costs, int workers);

/// Local. The same, with the workers' loads before these tasks (one per
/// worker): tasks fill in around work already given out.
std::vector<int> assign_lpt(const std::vector<double>& costs, std::vector<double> load);

}  // namespace cp
