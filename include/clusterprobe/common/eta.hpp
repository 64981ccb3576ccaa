#pragma once
// Times in progress lines for batch-job logs: how long is left at the rate
// measured so far.
#include <string>

namespace cp {

/// Local. "35s", "4m10s", "2h05m"; "?" when unknown (negative).
std::string duration_text(double seconds);

/// Measurements shorter than this give no ETA: a first step (or item) is
/// dominated by start-up (allocation, caches, the first read of a file),
/// and an ETA from it was off by an order of magnitude.
inline constexpr double kEtaMinSeconds = 10;
/// Nor does less than this share of the cost (done + remaining): a few steps
/// of a long study, however long they took, say little about the rest.
inline constexpr double kEtaMinShare = 0.01;

/// Local. Seconds left for `remaining_cost` at the rate measured on
/// `done_cost` in `done_seconds`, shared by `workers` working side by side;
/// 0 when nothing remains; negative: unknown (nothing measured).
double eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers);

/// Local. eta_seconds() for a progress line while the work goes on: also
/// unknown until kEtaMinSeconds and kEtaMinShare of the work are measured.
double live_eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers);

}  // namespace cp
