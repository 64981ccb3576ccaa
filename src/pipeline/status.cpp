// `clusterprobe status`: where a study stands, from its output directory alone
// (no MPI, no Slurm needed): each run's state, what failed and why, whether a
// command holds the output, and the time left at the rates measured so far.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <map>
#include <ostream>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/slurm/jobs.hpp"
#include "progress.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// Who holds the output lock, or empty when nobody does (a probe with flock:
// taking and releasing it at once; exclusive, so array tasks sharing it show).
std::string lock_holder(const std::string& output) {
  const std::string path = (fs::path(output) / ".clusterprobe.lock").string();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string holder;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    std::ifstream in(path);
    std::getline(in, holder);
    if (holder.empty()) holder = "a process (no details in the lock file)";
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

struct RunView {
  std::string state, message;
  double train_seconds = std::nan("");
};

RunView view_of(const Plan& plan, const RunSpec& run, const std::map<std::string, RunStatus>& index,
                bool writer_active) {
  RunView v;
  const std::string file = run_file(plan.study, run.id);
  if (incomplete_reason(file, run).empty()) {
    v.state = "complete";
    v.train_seconds = ActivationFile(file).number_attr("train_seconds").value_or(std::nan(""));
    return v;
  }
  const auto it = index.find(run.id);
  const bool started = fs::exists(fs::path(run_dir(plan.study, run.id)) / "train_state.pt") ||
                       fs::exists(file + ".tmp");
  if (writer_active && started) {
    v.state = "running";
  } else if (it != index.end() && it->second.status == "failed") {
    v.state = "failed";
    v.message = it->second.message;
  } else {
    v.state = "pending";
    if (started) v.message = "resumes from its checkpoint";
  }
  return v;
}

// The latest submission's jobs: what Slurm says now, and their last event in jobs.tsv.
void print_jobs(const std::string& output, std::ostream& out) {
  const auto subs = read_jobs(jobs_path(output));
  if (subs.empty()) return;
  const Submission& sub = subs.back();
  std::vector<std::string> ids;
  for (const auto& r : sub.rows)
    if (r.event == "submitted" || r.event.rfind("resubmitted", 0) == 0) ids.push_back(r.job);
  const auto states = slurm_states(ids);
  out << "Slurm jobs of the latest submission (" << sub.time << ", " << jobs_path(output) << "):\n";
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
  const fs::path dir(output_dir);
  const std::string index = (dir / "study.h5").string(), submitted = (dir / "slurm" / "study.yaml").string();
  StudyConfig study;
  if (fs::exists(index)) {
    study = parse_study(read_study_config(index), index, overrides);
  } else if (fs::exists(submitted)) {
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
  const auto index_path = fs::path(study.output) / "study.h5";
  if (fs::exists(index_path)) {
    for (auto& r : read_study_index(index_path.string())) index[r.id] = r;
  }
  const std::string holder = lock_holder(study.output);
  std::map<std::string, int> counts;
  double done_cost = 0, done_seconds = 0, left_cost = 0;
  std::ostringstream rows;
  for (const auto& run : plan.runs) {
    const RunView v = view_of(plan, run, index, !holder.empty());
    ++counts[v.state];
    if (v.state == "complete" && !std::isnan(v.train_seconds)) {
      done_cost += run.cost;
      done_seconds += v.train_seconds;
    }
    if (v.state != "complete" && v.state != "failed") left_cost += run.cost;
    rows << std::left << std::setw(18) << run.id << std::setw(10) << v.state << run.dataset << " / "
         << run.architecture << " / " << run.normalization << " / seed " << run.seed
         << (v.message.empty() ? "" : "  (" + v.message + ")") << "\n";
  }
  out << "study " << study.study << " -> " << study.output << ": " << plan.runs.size() << " runs: ";
  bool first = true;
  for (const char* state : {"complete", "running", "pending", "failed"}) {
    out << (first ? "" : ", ") << counts[state] << " " << state;
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
