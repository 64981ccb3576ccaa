// Findings: read from the study file with errors that name the key, and
// judged against the factor effects (or the coarse/fine accuracy ratio).
#include <gtest/gtest.h>

#include <string>

#include "../../src/report/findings.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/config/study.hpp"

namespace {

const char* kStudy =
    "study: f\noutput: out\ngrid: {dataset: [synthetic/gmm], architecture: [mlp], normalization: [batch, none]}\n";

cp::Finding difference(const std::string& better, const std::string& worse) {
  cp::Finding f;
  f.name = "norm";
  f.claim = "batch normalization helps";
  f.axis = "normalization";
  f.better = better;
  f.worse = worse;
  return f;
}

// Runs whose normalization moves AMI by `shift`, over `seeds` matched pairs.
std::vector<cp::EffectSet> effects(double shift, int seeds) {
  std::vector<cp::RunOutcome> runs;
  for (int s = 0; s < seeds; ++s)
    for (const char* norm : {"batch", "none"})
      runs.push_back({{{"normalization", norm}, {"seed", std::to_string(s)}},
                      0.5 + 0.01 * (s % 3) + (std::string(norm) == "batch" ? shift : 0.0)});
  return {{"penultimate", "ami", cp::factor_effects(runs, {"normalization"})}};
}

std::string verdict_of(const std::string& sentence) {
  return sentence.substr(sentence.find(": ") + 2, sentence.find(" (") - sentence.find(": ") - 2);
}

TEST(Findings, ReadFromTheStudyFile) {
  const cp::StudyConfig s = cp::parse_study(std::string(kStudy) +
                                                "findings:\n  - {name: norm, axis: normalization, better: batch, "
                                                "worse: none, claim: helps, source: a paper}\n"
                                                "  - {name: ratio, kind: ratio, expected: 0.98, tolerance: 0.05}\n",
                                            "f.yaml");
  ASSERT_EQ(s.findings.size(), 2u);
  EXPECT_EQ(s.findings[0].axis, "normalization");
  EXPECT_EQ(s.findings[0].metric, "ami");
  EXPECT_EQ(s.findings[0].at, "penultimate");
  EXPECT_EQ(s.findings[1].kind, "ratio");
  EXPECT_DOUBLE_EQ(s.findings[1].expected, 0.98);
  // The resolved study keeps them: a report from study.yaml judges the same findings.
  EXPECT_EQ(cp::parse_study(s.resolved_yaml, "resolved").findings.size(), 2u);
}

TEST(Findings, ReportRunsAreRunIds) {
  const cp::StudyConfig s =
      cp::parse_study(std::string(kStudy) + "report: {runs: [0123456789abcdef, fedcba9876543210]}\n", "f.yaml");
  ASSERT_EQ(s.report_runs.size(), 2u);
  EXPECT_EQ(cp::parse_study(s.resolved_yaml, "resolved").report_runs, s.report_runs);
  try {
    cp::parse_study(std::string(kStudy) + "report: {runs: [0123456789abcdef, oops]}\n", "f.yaml");
    FAIL() << "a bad run id was accepted";
  } catch (const cp::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("f.yaml:4: report.runs: 'oops' is not a run id"), std::string::npos)
        << e.what();
  }
}

TEST(Findings, BadFindingsNameTheKey) {
  auto error_of = [](const std::string& findings) {
    try {
      cp::parse_study(std::string(kStudy) + "findings:\n" + findings, "f.yaml");
    } catch (const cp::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(error_of("  - {name: a, axis: colour, better: x, worse: y}\n").find("f.yaml:5: findings[0].axis"),
            std::string::npos);
  EXPECT_NE(error_of("  - {name: a, axis: dataset, better: x}\n").find("findings[0].worse: missing required key"),
            std::string::npos);
  EXPECT_NE(error_of("  - {name: a, axis: dataset, better: x, worse: x}\n").find("the same level"), std::string::npos);
  EXPECT_NE(error_of("  - {name: a, kind: ratio, expected: 1}\n").find("tolerance: missing required key"),
            std::string::npos);
  EXPECT_NE(error_of("  - {name: a, axis: dataset, better: x, worse: y}\n  - {name: a, kind: ratio, expected: 1, "
                     "tolerance: 0.1}\n")
                .find("'a' names two findings"),
            std::string::npos);
  // A ratio finding's dataset must be one of the grid's: a typo would match no run.
  EXPECT_NE(error_of("  - {name: a, kind: ratio, expected: 1, tolerance: 0.1, dataset: synthetic/gnm}\n")
                .find("findings[0].dataset: 'synthetic/gnm' is not a dataset of the grid"),
            std::string::npos);
  EXPECT_NE(error_of("  - {name: a, axis: dataset, better: x, worse: y, dataset: synthetic/gmm}\n")
                .find("belongs to a ratio finding"),
            std::string::npos);
}

TEST(Findings, VerdictsFollowTheAdjustedComparison) {
  const auto clear = effects(0.2, 10);
  const auto reproduced = cp::detail::finding_sentences({difference("batch", "none")}, clear, {});
  ASSERT_EQ(reproduced.size(), 1u);
  EXPECT_EQ(verdict_of(reproduced[0]), "reproduced") << reproduced[0];
  EXPECT_NE(reproduced[0].find("batch minus none: +0.20 AMI ["), std::string::npos) << reproduced[0];
  EXPECT_NE(reproduced[0].find("; the claim: batch normalization helps"), std::string::npos) << reproduced[0];
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({difference("none", "batch")}, clear, {})[0]), "contradicted");
  // Four pairs can never be clear: the smallest sign-flip p-value is 2/16.
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({difference("batch", "none")}, effects(0.2, 4), {})[0]),
            "inconclusive");
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({difference("group", "none")}, clear, {})[0]), "not tested here");
}

TEST(Findings, RatioOfRecoveredToFineAccuracy) {
  cp::Finding f;
  f.name = "collapse";
  f.kind = "ratio";
  f.expected = 0.98;
  f.tolerance = 0.05;
  std::vector<cp::detail::RatioRun> runs;
  for (int s = 0; s < 6; ++s) {
    const std::string key = "seed=" + std::to_string(s);
    runs.push_back({key, "coarse", "near", 0.90 + 0.002 * s, 0.91, std::nan("")});
    runs.push_back({key, "fine", "near", std::nan(""), std::nan(""), 0.92});
  }
  const auto near = cp::detail::finding_sentences({f}, {}, runs);
  EXPECT_EQ(verdict_of(near[0]), "reproduced") << near[0];
  EXPECT_NE(near[0].find("over 6 pairs"), std::string::npos) << near[0];
  f.expected = 0.5;
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({f}, {}, runs)[0]), "contradicted");
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({f}, {}, {runs[0]})[0]), "not tested here");
  // Per dataset (e.g. one hierarchy): runs of another spec, with half the ratio, are left out.
  f.expected = 0.98;
  for (int s = 0; s < 6; ++s) {
    const std::string key = "far seed=" + std::to_string(s);
    runs.push_back({key, "coarse", "far", 0.45 + 0.002 * s, 0.46, std::nan("")});
    runs.push_back({key, "fine", "far", std::nan(""), std::nan(""), 0.92});
  }
  EXPECT_NE(verdict_of(cp::detail::finding_sentences({f}, {}, runs)[0]), "reproduced");
  f.dataset = "near";
  const auto one = cp::detail::finding_sentences({f}, {}, runs)[0];
  EXPECT_EQ(verdict_of(one), "reproduced") << one;
  EXPECT_NE(one.find("coarse-trained runs of near over"), std::string::npos) << one;
  f.dataset = "far";
  EXPECT_EQ(verdict_of(cp::detail::finding_sentences({f}, {}, runs)[0]), "contradicted");
}

}  // namespace
