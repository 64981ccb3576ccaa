#pragma once
// Factor effects of a study's grid: for each axis with two or more levels,
// the mean (and interquartile mean) of an outcome (AMI, e2e accuracy) per
// level with a bootstrap interval; a permutation test of the whole axis; and
// the paired difference between two levels over the runs that match on every
// other axis (seed included), with its sign-flip p-value. A study compares
// many pairs, so p-values are Holm-adjusted over all pairs of one outcome and
// each interval is widened to its step of Holm's procedure: a difference is
// called clear only when both say so.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "clusterprobe/report/resampling.hpp"

namespace cp {

/// One run's outcome with its grid coordinates (axis -> level).
struct RunOutcome {
  std::map<std::string, std::string> axes;
  double value = 0;
};

struct LevelEffect {
  std::string level;
  Interval stat;
  double iqm = 0;  ///< interquartile mean
};

/// level minus versus, over the runs matched on every other axis.
struct PairedEffect {
  std::string level, versus;
  Interval diff;                   ///< at the Holm step's confidence (diff.confidence)
  int positive = 0, negative = 0;  ///< matched pairs where level is above / below versus
  double p = 1, p_adjusted = 1;    ///< sign-flip p-value, and Holm-adjusted over the outcome's pairs
  Interval improvement;            ///< probability that level beats versus in a matched pair
  bool clear = false;              ///< adjusted p < 0.05 and the interval excludes 0
};

struct AxisEffects {
  std::string axis;
  std::vector<LevelEffect> levels;
  std::vector<PairedEffect> pairs;  ///< every pair of levels with at least one matched pair
  /// The whole axis: permutation test within matched groups (NaN: no group
  /// of two runs), Holm-adjusted over the outcome's axes.
  double overall_p = 1, overall_p_adjusted = 1;
  int groups = 0;        ///< matched groups with two or more runs
  int permutations = 0;  ///< of the overall test
};

/// The family-wise error rate every "clear" difference is held to.
inline constexpr double kEffectAlpha = 0.05;

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
