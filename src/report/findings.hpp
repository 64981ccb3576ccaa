#pragma once
// The report's Findings: each finding the study file names (report/finding.hpp)
// with what this study measured and a verdict. Private to src/report.
#include <string>
#include <vector>

#include "clusterprobe/report/effects.hpp"
#include "clusterprobe/report/finding.hpp"

namespace cp::detail {

/// A complete run as a ratio finding needs it: its grid coordinates except
/// the labels (a coarse run and its fine-trained twin share them), the labels,
/// its e2e accuracy at each layer choice and its fine-label test accuracy.
struct RatioRun {
  std::string twin_key;
  std::string labels;
  std::string dataset;
  double e2e_penultimate = 0, e2e_best = 0, fine_accuracy = 0;
};

/// Local. One sentence per finding: "<name>: <verdict> (<measured>); the claim: <claim>, <source>",
/// the verdict one of reproduced, contradicted, inconclusive, not tested here.
std::vector<std::string> finding_sentences(const std::vector<Finding>& findings, const std::vector<EffectSet>& sets,
                                           const std::vector<RatioRun>& runs);

}  // namespace cp::detail
