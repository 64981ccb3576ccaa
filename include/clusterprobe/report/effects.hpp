#pragma once
// Factor effects of a study's grid: for each axis with two or more levels,
// the mean of an outcome (AMI, e2e accuracy) per level with a bootstrap
// confidence interval, and the paired difference between two levels over the
// runs that match on every other axis (seed included).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace cp {

/// One run's outcome with its grid coordinates (axis -> level).
struct RunOutcome {
  std::map<std::string, std::string> axes;
  double value = 0;
};

/// A mean over n values; low/high: its 95% percentile-bootstrap interval,
/// present only when n >= 2 (one value has no spread to resample).
struct Interval {
  double mean = 0, low = 0, high = 0;
  int n = 0;
  bool has_interval = false;
};

struct LevelEffect {
  std::string level;
  Interval stat;
};

/// level minus versus, over the runs matched on every other axis.
struct PairedEffect {
  std::string level, versus;
  Interval diff;
  int positive = 0, negative = 0;  ///< matched pairs where level is above / below versus
};

struct AxisEffects {
  std::string axis;
  std::vector<LevelEffect> levels;
  std::vector<PairedEffect> pairs;  ///< every pair of levels with at least one matched pair
};

/// Local. Percentile bootstrap of the mean (resamples with replacement, a
/// fixed seed: the same data give the same interval).
Interval bootstrap_mean(const std::vector<double>& values, int resamples = 4000, std::uint64_t seed = 1);

/// Local. The effects of every axis in `factors` that has two or more levels
/// among `runs` (NaN outcomes are left out). Levels in first-seen order.
std::vector<AxisEffects> factor_effects(const std::vector<RunOutcome>& runs, const std::vector<std::string>& factors);

}  // namespace cp

namespace cp {

/// The effects of one outcome at one layer choice, e.g. AMI at each run's best layer.
struct EffectSet {
  std::string at;      ///< penultimate | best
  std::string metric;  ///< ami | e2e_accuracy
  std::vector<AxisEffects> axes;
};

/// Local. One sentence per compared pair of levels, e.g. "pairs-unrelated
/// clusters better than pairs-similar: +0.55 AMI [0.48, 0.62], 8 of 8 matched
/// pairs (penultimate layer)"; says so when there is nothing to compare.
std::vector<std::string> effect_sentences(const std::vector<EffectSet>& sets);

/// Local. effects.csv, long format: at, metric, axis, kind (level | difference),
/// level, versus, n, mean, ci_low, ci_high, positive, negative (empty cells
/// where an interval or a count does not apply).
std::string effects_csv(const std::vector<EffectSet>& sets);

}  // namespace cp
