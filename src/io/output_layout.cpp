#include "clusterprobe/io/output_layout.hpp"

#include <filesystem>

namespace cp {

namespace fs = std::filesystem;

std::string RunLayout::in(const char* name) const { return (fs::path(dir_) / name).string(); }
std::string RunLayout::activations() const { return in("activations.h5"); }
std::string RunLayout::set_aside_activations() const { return in("activations.h5.incomplete"); }
std::string RunLayout::checkpoint() const { return in("checkpoint.pt"); }
std::string RunLayout::train_state() const { return in("train_state.pt"); }
std::string RunLayout::snapshot(int epoch) const { return in(("epoch_" + std::to_string(epoch) + ".pt").c_str()); }
std::string RunLayout::claim() const { return in("claim"); }

std::string OutputLayout::in(const char* name) const { return (fs::path(root_) / name).string(); }
std::string OutputLayout::study_index() const { return in("study.h5"); }
std::string OutputLayout::study_config() const { return in("study.yaml"); }
std::string OutputLayout::runs_csv() const { return in("runs.csv"); }
std::string OutputLayout::metrics_h5() const { return in("metrics.h5"); }
std::string OutputLayout::metrics_csv() const { return in(kMetricsCsvName); }
std::string OutputLayout::cluster_partial() const { return in("metrics.partial"); }
std::string OutputLayout::report_md() const { return in(kReportMdName); }
std::string OutputLayout::effects_csv() const { return in(kEffectsCsvName); }
std::string OutputLayout::report_html() const { return (fs::path(root_) / "report" / "index.html").string(); }
std::string OutputLayout::figures() const { return (fs::path(root_) / "report" / "fig").string(); }
std::string OutputLayout::figures_staging() const { return (fs::path(root_) / "report" / "fig.tmp").string(); }
std::string OutputLayout::runs() const { return in("runs"); }
RunLayout OutputLayout::run(const std::string& run_id) const {
  return RunLayout((fs::path(root_) / "runs" / run_id).string());
}
std::string OutputLayout::lock() const { return in(".clusterprobe.lock"); }
std::string OutputLayout::study_marker() const { return in(".clusterprobe.study"); }
std::string OutputLayout::cooperate() const { return in(".clusterprobe.cooperate"); }
std::string OutputLayout::cooperate_lock() const { return in(".clusterprobe.cooperate.lock"); }
std::string OutputLayout::index_lock() const { return in(".clusterprobe.index.lock"); }
std::vector<std::string> OutputLayout::control_files() const {
  return {lock(), cooperate(), cooperate_lock(), index_lock()};
}
std::string OutputLayout::slurm() const { return in("slurm"); }
std::string OutputLayout::slurm_study() const { return (fs::path(root_) / "slurm" / "study.yaml").string(); }
std::string OutputLayout::jobs_table() const { return (fs::path(root_) / "slurm" / "jobs.tsv").string(); }
std::string OutputLayout::claims_log() const { return (fs::path(root_) / "slurm" / "claims.log").string(); }
std::string OutputLayout::logs() const { return in("logs"); }

}  // namespace cp
