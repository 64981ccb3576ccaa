#pragma once
// Every path under a study's output directory, in one place: nothing else
// joins these names. The layout is the contract with offline analysis and
// with `status` (README "Outputs"):
//
//   <output>/study.h5, runs.csv, study.yaml the study index, the resolved study (train)
//   <output>/metrics.h5, metrics.csv       the cluster stage's results (metrics.partial: a stopped one's)
//   <output>/report.md, effects.csv, report/index.html, report/fig/ (drawn in report/fig.tmp/)
//   <output>/runs/<id>/activations.h5, checkpoint.pt, train_state.pt,
//                      epoch_<e>.pt, claim
//   <output>/slurm/ (scripts, study.yaml, jobs.tsv, claims.log), logs/<job>/
//   <output>/.clusterprobe.lock, .clusterprobe.study, .clusterprobe.cooperate
#include <string>
#include <vector>

namespace cp {

/// The files of one run's directory.
class RunLayout {
 public:
  explicit RunLayout(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }
  std::string activations() const;             ///< activations.h5
  std::string set_aside_activations() const;   ///< activations.h5.incomplete: kept, not used
  std::string checkpoint() const;              ///< checkpoint.pt: the final model
  std::string train_state() const;             ///< train_state.pt: where an unfinished run resumes
  std::string snapshot(int epoch) const;       ///< epoch_<e>.pt: a model kept for a later extraction
  std::string claim() const;                   ///< claim: an array task's lease on the run

 private:
  std::string in(const char* name) const;
  std::string dir_;
};

class OutputLayout {
 public:
  explicit OutputLayout(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  /// The names the report's text refers to.
  static constexpr const char* kEffectsCsvName = "effects.csv";
  static constexpr const char* kMetricsCsvName = "metrics.csv";
  static constexpr const char* kReportMdName = "report.md";

  std::string study_index() const;    ///< study.h5
  std::string study_config() const;   ///< study.yaml: the resolved study, from the first train on
  std::string runs_csv() const;       ///< runs.csv
  std::string metrics_h5() const;     ///< metrics.h5
  std::string metrics_csv() const;    ///< metrics.csv
  std::string cluster_partial() const;  ///< metrics.partial: the items a stopped cluster stage finished
  std::string report_md() const;      ///< report.md
  std::string effects_csv() const;    ///< effects.csv
  std::string report_html() const;    ///< report/index.html
  std::string figures() const;        ///< report/fig
  std::string figures_staging() const;  ///< report/fig.tmp: a report's figures before they replace report/fig
  std::string runs() const;           ///< runs/
  RunLayout run(const std::string& run_id) const;  ///< runs/<id>/

  std::string lock() const;           ///< .clusterprobe.lock: one writer at a time
  std::string study_marker() const;   ///< .clusterprobe.study: whose outputs these are
  std::string cooperate() const;      ///< .clusterprobe.cooperate: the array submission sharing the lock
  std::string cooperate_lock() const; ///< .clusterprobe.cooperate.lock
  std::string index_lock() const;     ///< .clusterprobe.index.lock: array tasks write the index in turn
  /// The lock files above: what a command makes before it knows whether the directory is a study's.
  std::vector<std::string> control_files() const;

  std::string slurm() const;          ///< slurm/: the submitted scripts
  std::string slurm_study() const;    ///< slurm/study.yaml: the study as submitted
  std::string jobs_table() const;     ///< slurm/jobs.tsv
  std::string claims_log() const;     ///< slurm/claims.log
  std::string logs() const;           ///< logs/: each job's rank logs

 private:
  std::string in(const char* name) const;
  std::string root_;
};

}  // namespace cp
