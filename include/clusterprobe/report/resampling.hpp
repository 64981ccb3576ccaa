#pragma once
// The resampling statistics behind the factor effects: bootstrap intervals,
// permutation tests (a paired sign-flip test, a within-group test of a whole
// axis), Holm's step-down adjustment, the interquartile mean and the
// probability of improvement (Agarwal et al., NeurIPS 2021, "Deep RL at the
// edge of the statistical precipice"). Every function takes its seed: the
// same data give the same numbers, on any machine.
#include <cstdint>
#include <vector>

namespace cp {

/// A mean over n values; low/high: its percentile-bootstrap interval at
/// `confidence` (0.95 unless adjusted for several comparisons), present only
/// when n >= 2 (one value has no spread to resample).
struct Interval {
  double mean = 0, low = 0, high = 0;
  int n = 0;
  bool has_interval = false;
  double confidence = 0.95;
};

/// Local. Percentile bootstrap of the mean (resamples with replacement).
Interval bootstrap_mean(const std::vector<double>& values, int resamples = 4000, std::uint64_t seed = 1,
                        double confidence = 0.95);

/// The mean of the middle half: the values left after dropping a quarter
/// (rounded down) at each end, as scipy.stats.trim_mean(v, 0.25) and rliable.
/// Robust to a few diverged runs, unlike the mean; NaN for no values.
double interquartile_mean(std::vector<double> values);

/// Two-sided p-value of "the paired differences are centred on 0": the share
/// of sign flips whose mean is at least as far from 0 as the observed one.
/// Every flip is enumerated up to 16 pairs (exact); beyond, `flips` random
/// ones, counted as (1 + hits) / (1 + flips).
double sign_flip_p(const std::vector<double>& diffs, int flips = 4999, std::uint64_t seed = 1);

/// Runs that match on every other axis: each run's level of the tested axis
/// (0-based) and its value.
struct MatchedGroup {
  std::vector<int> level;
  std::vector<double> value;
};

/// p-value of "the axis's levels do not differ", permuting the levels within
/// each matched group (the runs' other axes stay as they are). The statistic
/// is the between-level sum of squares of the values centred on their group
/// means; groups of one run carry no information and are left out. NaN when
/// no group has two runs.
double matched_permutation_p(const std::vector<MatchedGroup>& groups, int levels, int permutations = 1999,
                             std::uint64_t seed = 1);

/// Holm's step-down adjustment: adjusted p-values, in the input's order,
/// controlling the chance of any false "clear difference" among them.
std::vector<double> holm_adjust(const std::vector<double>& p);

/// The probability of improvement: the share of paired differences above 0
/// (ties count half), with its bootstrap interval at `confidence`.
Interval probability_of_improvement(const std::vector<double>& diffs, double confidence = 0.95, int resamples = 4000,
                                    std::uint64_t seed = 1);

}  // namespace cp
