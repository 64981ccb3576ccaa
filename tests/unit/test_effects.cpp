// Factor effects: bootstrap intervals against numpy's, paired differences on
// a grid whose effects are known, and the sentences and CSV built from them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>

#include "clusterprobe/report/effects.hpp"
#include "../support/reference_python.hpp"

namespace {

cp::RunOutcome run(const std::string& dataset, const std::string& norm, int seed, double value) {
  return {{{"dataset", dataset}, {"normalization", norm}, {"seed", std::to_string(seed)}}, value};
}

}  // namespace

TEST(Effects, BootstrapIntervalAgreesWithNumpy) {
  cp::testing::TempDir dir("cp_effects");
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.4, 0.1);
  std::vector<double> values(30);
  for (auto& v : values) v = normal(rng);
  {
    std::ofstream out(dir.path / "values.txt");
    out.precision(17);
    for (double v : values) out << v << "\n";
  }
  // numpy's percentile bootstrap of the mean with its own generator: the two
  // intervals differ only by Monte-Carlo error (about 0.02 standard errors
  // here), far below the shift of a wrong quantile (0.3 and more).
  const std::string script = dir.path.string() + "/ref.py";
  std::ofstream(script) << "import numpy as np\n"
                        << "v = np.loadtxt('" << dir.path.string() << "/values.txt')\n"
                        << "rng = np.random.default_rng(3)\n"
                        << "m = rng.choice(v, size=(40000, v.size), replace=True).mean(axis=1)\n"
                        << "print(v.mean(), np.percentile(m, 2.5), np.percentile(m, 97.5))\n";
  const std::string out_file = dir.path.string() + "/ref.txt";
  ASSERT_EQ(std::system((std::string(cp::testing::kPython) + " " + script + " > " + out_file).c_str()), 0);
  double mean = 0, low = 0, high = 0;
  std::ifstream(out_file) >> mean >> low >> high;
  const cp::Interval ours = cp::bootstrap_mean(values, 40000);
  ASSERT_TRUE(ours.has_interval);
  EXPECT_EQ(ours.n, 30);
  EXPECT_NEAR(ours.mean, mean, 1e-12);
  const double se = 0.1 / std::sqrt(30.0);  // the interval is about mean +- 1.96 se
  EXPECT_NEAR(ours.low, low, 0.1 * se) << "numpy " << low;
  EXPECT_NEAR(ours.high, high, 0.1 * se) << "numpy " << high;
  EXPECT_LT(ours.low, ours.mean);
  EXPECT_GT(ours.high, ours.mean);
}

TEST(Effects, OneValueHasNoInterval) {
  const cp::Interval one = cp::bootstrap_mean({0.7});
  EXPECT_FALSE(one.has_interval);
  EXPECT_EQ(one.n, 1);
  EXPECT_DOUBLE_EQ(one.mean, 0.7);
}

TEST(Effects, PairedDifferencesMatchOnEveryOtherAxis) {
  // unrelated is 0.5 above similar on every (normalization, seed); batch is
  // above none by 0.1 with one exception, so 3 of 4 pairs go its way.
  std::vector<cp::RunOutcome> runs;
  for (const char* norm : {"batch", "none"}) {
    for (int seed : {0, 1}) {
      const double base = 0.2 + 0.01 * seed + (std::string(norm) == "batch" ? 0.1 : 0.0);
      runs.push_back(run("similar", norm, seed, base));
      runs.push_back(run("unrelated", norm, seed, base + 0.5));
    }
  }
  runs[0].value = 0.0;  // similar/batch/seed 0 drops below similar/none/seed 0
  const auto effects = cp::factor_effects(runs, {"dataset", "normalization", "architecture"});
  ASSERT_EQ(effects.size(), 2u) << "architecture has no levels here";
  const auto& dataset = effects[0];
  EXPECT_EQ(dataset.axis, "dataset");
  ASSERT_EQ(dataset.levels.size(), 2u);
  EXPECT_EQ(dataset.levels[0].level, "similar");
  EXPECT_EQ(dataset.levels[0].stat.n, 4);
  ASSERT_EQ(dataset.pairs.size(), 1u);
  const auto& p = dataset.pairs[0];
  EXPECT_EQ(p.level, "similar");
  EXPECT_EQ(p.versus, "unrelated");
  EXPECT_EQ(p.diff.n, 4);
  EXPECT_EQ(p.negative, 4);
  EXPECT_EQ(p.positive, 0);
  // Three pairs differ by exactly -0.5, one by -0.8 (the lowered run).
  EXPECT_NEAR(p.diff.mean, -0.575, 1e-12);
  EXPECT_LE(p.diff.low, -0.575);
  EXPECT_GE(p.diff.high, -0.575);
  EXPECT_GE(p.diff.low, -0.8 - 1e-12);
  EXPECT_LE(p.diff.high, -0.5 + 1e-12);

  const auto& norm = effects[1];
  ASSERT_EQ(norm.pairs.size(), 1u);
  EXPECT_EQ(norm.pairs[0].positive, 3);
  EXPECT_EQ(norm.pairs[0].negative, 1);

  // Four matched pairs: the smallest sign-flip p-value is 2/16, never a clear
  // difference, whatever the interval.
  EXPECT_DOUBLE_EQ(p.p, 0.125);
  EXPECT_FALSE(p.clear);
  const auto sentences = cp::effect_sentences({{"penultimate", "ami", effects}});
  ASSERT_EQ(sentences.size(), 4u);
  EXPECT_EQ(sentences[0].rfind("dataset: no clear difference among its 2 levels (permutation test within 4 matched "
                               "groups, 1999 permutations, Holm-adjusted p = ",
                               0),
            0u)
      << sentences[0];
  EXPECT_EQ(sentences[2].rfind("no clear difference between unrelated and similar: +0.57 AMI [", 0), 0u)
      << sentences[2];
  EXPECT_NE(sentences[2].find("interval), unrelated above in 4 of 4 matched pairs (probability of improvement 1.00"),
            std::string::npos)
      << sentences[2];
  EXPECT_NE(sentences[2].find("Holm-adjusted p = 0.25 (dataset, penultimate layer)"), std::string::npos)
      << sentences[2];
  EXPECT_NE(sentences[3].find("between batch and none"), std::string::npos) << sentences[3];
  EXPECT_NE(sentences[3].find("3 of 4 matched pairs"), std::string::npos) << sentences[3];

  const std::string csv = cp::effects_csv({{"best", "e2e_accuracy", effects}});
  EXPECT_EQ(csv.rfind("at,metric,axis,kind,level,versus,n,mean,ci_low,ci_high,positive,negative,ci_level,iqm,p,p_holm,"
                      "improvement,improvement_low,improvement_high,clear,permutations\n",
                      0),
            0u);
  EXPECT_NE(csv.find("best,e2e_accuracy,dataset,difference,similar,unrelated,4,-0.57499999999999996,"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("best,e2e_accuracy,normalization,level,batch,,4,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("best,e2e_accuracy,dataset,overall,,,4,"), std::string::npos) << csv;
}

TEST(Effects, NothingToCompareIsSaid) {
  const std::vector<cp::RunOutcome> runs{run("only", "batch", 0, 0.5)};
  const auto effects = cp::factor_effects(runs, {"dataset", "normalization"});
  EXPECT_TRUE(effects.empty());
  const auto sentences = cp::effect_sentences({{"penultimate", "ami", effects}});
  ASSERT_EQ(sentences.size(), 1u);
  EXPECT_EQ(sentences[0].rfind("Nothing to compare", 0), 0u);
  // Unmatched levels (different seeds on each side) give no paired difference.
  const auto unmatched = cp::factor_effects({run("a", "batch", 0, 0.1), run("b", "batch", 1, 0.2)}, {"dataset"});
  ASSERT_EQ(unmatched.size(), 1u);
  EXPECT_TRUE(unmatched[0].pairs.empty());
}
