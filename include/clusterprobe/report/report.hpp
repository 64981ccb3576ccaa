#pragma once
// The study report: per run, a table of layers with the clustering metrics
// beside the two baselines (raw input, untrained network), and the best layer.
#include <string>
#include <vector>

#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/metrics/record.hpp"
#include "clusterprobe/report/figures.hpp"
#include "clusterprobe/report/finding.hpp"

namespace cp {

struct ReportText {
  std::string terminal;
  std::string markdown;
  std::string effects_csv;  ///< <output>/effects.csv (report/effects.hpp)
  std::vector<Figure> figures;  ///< drawn by render_figures (report/figures.hpp)
  /// <output>/report/index.html, self-contained, with kFiguresMark where the figures go.
  std::string html;
};

/// Where ReportText::html takes the figures' HTML.
inline constexpr const char* kFiguresMark = "<!--clusterprobe:figures-->";

/// What a report is made of: metrics.h5's tables and study.h5's runs.
struct ReportInputs {
  std::vector<MetricRecord> metrics;
  std::vector<RunStatus> runs;                 ///< empty for files analysed outside a study
  std::vector<FailureRecord> failures;         ///< items the cluster stage could not score
  std::vector<PenultimateRecord> penultimate;  ///< each run's penultimate probe point, where known
  std::vector<SimilarityRecord> similarities;  ///< CKA matrices (metrics.h5:/similarity)
  std::vector<std::string> notes;              ///< why these results are not the study's, shown first
  std::vector<Finding> findings;               ///< what the study sets out to reproduce (its findings:)
  std::vector<std::string> named_runs;         ///< report.runs: drawn run by run beside the panels
};

/// Local. Runs that are not complete and the failed items are listed with
/// their messages.
ReportText render_report(const ReportInputs& in);

}  // namespace cp
