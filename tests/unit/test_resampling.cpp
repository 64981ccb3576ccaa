// The statistics behind the factor effects: against scipy where it has them,
// against hand-worked cases, and on generated grids whose effects and nulls
// are known (the error rate the report promises is the one it delivers).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/resampling.hpp"
#include "../support/reference_python.hpp"

namespace {

TEST(Resampling, InterquartileMeanIsScipysTrimMean) {
  cp::testing::TempDir dir("cp_iqm");
  std::mt19937_64 rng(11);
  std::lognormal_distribution<double> skewed(0.0, 1.0);
  std::ofstream values(dir.path / "v.txt");
  values.precision(17);
  std::vector<std::vector<double>> sets;
  for (int n : {1, 2, 3, 4, 5, 7, 8, 13, 100}) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = skewed(rng);
    for (double x : v) values << x << " ";
    values << "\n";
    sets.push_back(v);
  }
  values.close();
  const std::string script = (dir.path / "ref.py").string(), out = (dir.path / "ref.txt").string();
  std::ofstream(script) << "from scipy.stats import trim_mean\n"
                        << "for line in open('" << (dir.path / "v.txt").string() << "'):\n"
                        << "    print(repr(trim_mean([float(x) for x in line.split()], 0.25)))\n";
  ASSERT_EQ(std::system((std::string(cp::testing::kPython) + " " + script + " > " + out).c_str()), 0);
  std::ifstream ref(out);
  for (const auto& v : sets) {
    double expected = 0;
    ref >> expected;
    EXPECT_NEAR(cp::interquartile_mean(v), expected, 1e-12 * std::abs(expected)) << v.size() << " values";
  }
  EXPECT_TRUE(std::isnan(cp::interquartile_mean({})));
}

TEST(Resampling, SignFlipIsExactForFewPairs) {
  // All five positive: only the all-plus and all-minus flips are as extreme.
  EXPECT_DOUBLE_EQ(cp::sign_flip_p({0.1, 0.2, 0.3, 0.4, 0.5}), 2.0 / 32.0);
  // {1, 1, -1}: |sum| 1 is reached by every flip but none exceed it... sums are
  // +-1 (6 flips) and +-3 (2 flips): all 8 are at least 1.
  EXPECT_DOUBLE_EQ(cp::sign_flip_p({1, 1, -1}), 1.0);
  EXPECT_DOUBLE_EQ(cp::sign_flip_p({}), 1.0);
  // Many pairs, a large effect: Monte-Carlo, bounded below by 1 / (1 + flips).
  std::vector<double> many(40, 0.3);
  EXPECT_DOUBLE_EQ(cp::sign_flip_p(many, 999), 1.0 / 1000.0);
}

TEST(Resampling, HolmByHand) {
  // Sorted 0.01, 0.02, 0.04, 0.5 -> 4*0.01, 3*0.02, max(0.06, 2*0.04), max(0.08, 0.5).
  const auto adjusted = cp::holm_adjust({0.04, 0.5, 0.01, 0.02});
  ASSERT_EQ(adjusted.size(), 4u);
  EXPECT_DOUBLE_EQ(adjusted[0], 0.08);
  EXPECT_DOUBLE_EQ(adjusted[1], 0.5);
  EXPECT_DOUBLE_EQ(adjusted[2], 0.04);
  EXPECT_NEAR(adjusted[3], 0.06, 1e-15);
  EXPECT_DOUBLE_EQ(cp::holm_adjust({0.6, 0.7})[0], 1.0);
}

TEST(Resampling, ProbabilityOfImprovementCountsTiesHalf) {
  const cp::Interval i = cp::probability_of_improvement({0.1, 0.0, -0.2, 0.3});
  EXPECT_DOUBLE_EQ(i.mean, 0.625);  // (1 + 0.5 + 0 + 1) / 4
  EXPECT_TRUE(i.has_interval);
  EXPECT_LE(i.low, 0.625);
  EXPECT_GE(i.high, 0.625);
}

// A grid as a study makes it: axis `real` (3 levels, true means 0, 0.02 and
// 0.04), two null axes (2 and 3 levels), 4 seeds; each run is its level's
// mean plus a per-seed offset plus noise of sd 0.03.
std::vector<cp::RunOutcome> generated_grid(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.03), offset(0.0, 0.05);
  std::vector<double> seed_offset(4);
  for (auto& o : seed_offset) o = offset(rng);
  std::vector<cp::RunOutcome> runs;
  for (int r = 0; r < 3; ++r)
    for (const char* a : {"a0", "a1"})
      for (const char* b : {"b0", "b1", "b2"})
        for (int s = 0; s < 4; ++s)
          runs.push_back({{{"real", "r" + std::to_string(r)}, {"null2", a}, {"null3", b}, {"seed", std::to_string(s)}},
                          0.5 + 0.02 * r + seed_offset[static_cast<std::size_t>(s)] + noise(rng)});
  return runs;
}

TEST(Resampling, NullAxesAreFlaggedAtTheStatedRateAndRealEffectsFound) {
  constexpr int kStudies = 200;
  int family_false = 0, overall_false = 0, found = 0, overall_found = 0;
  for (int k = 0; k < kStudies; ++k) {
    const auto effects = cp::factor_effects(generated_grid(1000 + static_cast<std::uint64_t>(k)),
                                            {"real", "null2", "null3"});
    ASSERT_EQ(effects.size(), 3u);
    bool any_false = false;
    for (const auto& axis : effects) {
      const bool null_axis = axis.axis != "real";
      if (null_axis) overall_false += axis.overall_p_adjusted < cp::kEffectAlpha;
      else overall_found += axis.overall_p_adjusted < cp::kEffectAlpha;
      for (const auto& p : axis.pairs) {
        if (null_axis) any_false = any_false || p.clear;
        else if (p.level == "r0" && p.versus == "r2") found += p.clear;
      }
    }
    family_false += any_false;
  }
  const double family_rate = static_cast<double>(family_false) / kStudies;
  const double overall_rate = static_cast<double>(overall_false) / (2.0 * kStudies);
  std::printf("over %d generated studies: any null pair called clear in %.3f, a null axis's overall test in %.3f; "
              "r2 - r0 (0.04) found in %.3f, the real axis's overall test in %.3f\n",
              kStudies, family_rate, overall_rate, static_cast<double>(found) / kStudies,
              static_cast<double>(overall_found) / kStudies);
  // Nominal 0.05; the bound leaves two binomial standard errors (0.015 each
  // at 200 studies) for the Monte-Carlo error of a fixed set of studies.
  EXPECT_LE(family_rate, 0.08);
  EXPECT_LE(overall_rate, 0.08);
  EXPECT_GE(static_cast<double>(found) / kStudies, 0.9);
  EXPECT_GE(static_cast<double>(overall_found) / kStudies, 0.9);
}

}  // namespace
