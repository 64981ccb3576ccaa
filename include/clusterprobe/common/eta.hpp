#pragma once
// Times in progress lines for batch-job logs: how long is left at the rate
// measured so far.
#include <string>

namespace cp {

/// Local. "35s", "4m10s", "2h05m"; "?" when unknown (negative).
std::string duration_text(double seconds);

/// Local. Seconds left for `remaining_cost` at the rate measured on
/// `done_cost` in `done_seconds`, shared by `workers` working side by side;
/// negative: unknown.
double eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers);

}  // namespace cp
