// `clusterprobe status`: where a study stands, from its output directory alone
// (no MPI, no Slurm needed): each run's state, what failed and why, whether a
// command holds the output, and the time left at the rates measured so far.
#include <sys/stat.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/output_lock.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/slurm/jobs.hpp"
#include "progress.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// ", renewed 12 s ago": a holder on a node that died stops renewing, and its
// lease (slurm.lease) runs out before another task takes the run over.
std::string renewed_ago(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  const auto age = static_cast<long long>(std::time(nullptr) - st.st_mtim.tv_sec);
  return ", renewed " + std::to_string(std::max(0LL, age)) + " s ago";
}

struct RunView {
  RunPhase state = RunPhase::pending;
  std::string message;
  double train_seconds = std::nan("");
};

RunView view_of(const Plan& plan, const RunSpec& run, const std::map<std::string, RunStatus>& index,
                bool writer_active) {
  RunView v;
  const RunLayout files = OutputLayout(plan.study.output).run(run.id);
  const std::string file = files.activations();
  if (incomplete_reason(file, run).empty()) {
    v.state = RunPhase::complete;
    v.train_seconds = ActivationFile(file).number_attr("train_seconds").value_or(std::nan(""));
    return v;
  }
  const auto it = index.find(run.id);
  // A run scored from another run's training is where that training is.
  const bool shared = !run.trained_by.empty() && run.trained_by != run.id;
  const RunLayout training = shared ? OutputLayout(plan.study.output).run(run.trained_by) : files;
  const bool started = fs::exists(training.train_state()) || fs::exists(temporary_path(file));
  // An array task's claim names its holder's host, pid and job: on a cluster,
  // the node the run is on.
  std::string claim;
  if (fs::exists(training.claim())) claim = read_file_text(training.claim());
  if (claim.rfind("training ", 0) == 0) {
    v.state = RunPhase::running;
    v.message = "held by " + claim.substr(9, claim.find('\n') - 9) + renewed_ago(training.claim()) +
                (shared ? " (the training of run " + run.trained_by + ")" : "");
  } else if (writer_active && started) {
    v.state = RunPhase::running;
  } else if (it != index.end() && it->second.status == RunPhase::failed) {
    v.state = RunPhase::failed;
    v.message = it->second.message;
  } else {
    v.state = RunPhase::pending;
    if (started) v.message = "resumes from its checkpoint";
  }
  return v;
}

// The latest submission's jobs: what Slurm says now, and their last event in jobs.tsv.
void print_jobs(const std::string& output, std::ostream& out) {
  const std::string table = OutputLayout(output).jobs_table();
  const auto subs = read_jobs(table);
  if (subs.empty()) return;
  const Submission& sub = subs.back();
  std::vector<std::string> ids;
  for (const auto& r : sub.rows)
    if (r.event == "submitted" || r.event.rfind("resubmitted", 0) == 0) ids.push_back(r.job);
  const auto states = slurm_states(ids);
  out << "Slurm jobs of the latest submission (" << sub.time << ", " << table << "):\n";
  for (const auto& id : ids) {
    std::string stage, last;
    for (const auto& r : sub.rows) {
      if (r.job != id && r.job.rfind(id + "_", 0) != 0) continue;
      if (stage.empty()) stage = r.stage;
      last = (r.job == id ? "" : r.job + ": ") + r.event + " at " + r.time +
             (r.requeues == "0" ? "" : ", " + r.requeues + " requeue(s)");
    }
    const auto it = states.find(id);
    out << "  " << std::left << std::setw(12) << id << std::setw(7) << stage
        << (it != states.end() ? it->second : std::string("not in Slurm's queue")) << "; last event: " << last << "\n";
  }
}

}  // namespace

StudyConfig recorded_study(const std::string& output_dir, const std::vector<std::string>& overrides) {
  const OutputLayout layout(output_dir);
  const std::string index = layout.study_index();
  StudyConfig study;
  if (fs::exists(index)) {
    study = parse_study(read_study_config(index), index, overrides);
  } else if (const std::string resolved = layout.study_config(); fs::exists(resolved)) {
    study = load_study(resolved, overrides);  // a first train is under way, or stopped
  } else if (const std::string submitted = layout.slurm_study(); fs::exists(submitted)) {
    study = load_study(submitted, overrides);
  } else {
    throw InputError(index + ": no such file (nothing trained there yet): give the study file instead");
  }
  study.output = output_dir;  // the directory given, wherever the study was run from
  return study;
}

void print_status(const Plan& plan, std::ostream& out) {
  const StudyConfig& study = plan.study;
  std::map<std::string, RunStatus> index;
  const OutputLayout layout(study.output);
  if (fs::exists(layout.study_index())) {
    for (auto& r : read_study_index(layout.study_index())) index[r.id] = r;
  }
  const std::string holder = OutputLock::holder(layout);
  std::map<RunPhase, int> counts;
  double done_cost = 0, done_seconds = 0, left_cost = 0;
  std::ostringstream rows;
  for (const auto& run : plan.runs) {
    const RunView v = view_of(plan, run, index, !holder.empty());
    ++counts[v.state];
    if (v.state == RunPhase::complete && !std::isnan(v.train_seconds)) {
      done_cost += run.cost;
      done_seconds += v.train_seconds;
    }
    if (v.state != RunPhase::complete && v.state != RunPhase::failed) left_cost += run.cost;
    rows << std::left << std::setw(18) << run.id << std::setw(10) << phase_name(v.state) << run.dataset << " / "
         << run.architecture << " / " << run.normalization << " / seed " << run.seed
         << (v.message.empty() ? "" : "  (" + v.message + ")") << "\n";
  }
  out << "study " << study.study << " -> " << study.output << ": " << plan.runs.size() << " runs: ";
  bool first = true;
  for (const RunPhase state : {RunPhase::complete, RunPhase::running, RunPhase::pending, RunPhase::failed}) {
    out << (first ? "" : ", ") << counts[state] << " " << phase_name(state);
    first = false;
  }
  out << "\n" << (holder.empty() ? std::string("no command holds the output now") : "in use by " + holder) << "\n";
  const double eta = eta_seconds(done_cost, done_seconds, left_cost, 1);
  out << "time left for one group at the measured rate: " << duration_text(eta)
      << (eta < 0 ? " (no run completed with a measured time yet)" : " (divide by the number of groups)") << "\n"
      << rows.str();
  print_jobs(study.output, out);
}

}  // namespace cp
