#include "clusterprobe/slurm/submit.hpp"

#include <unistd.h>

#include <ctime>
#include <filesystem>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/output_lock.hpp"
#include "clusterprobe/slurm/jobs.hpp"
#include "clusterprobe/slurm/process.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

std::string utc_now(const char* format) {
  const std::time_t now = std::time(nullptr);
  char text[32] = {};
  std::strftime(text, sizeof text, format, std::gmtime(&now));
  return text;
}

// The jobs of the latest submission that Slurm still has in its queue.
void refuse_live_jobs(const std::string& output) {
  const auto subs = read_jobs(OutputLayout(output).jobs_table());
  if (subs.empty()) return;
  std::vector<std::string> ids;
  for (const auto& r : subs.back().rows)
    if (r.event == "submitted" || r.event.rfind("resubmitted", 0) == 0) ids.push_back(r.job);
  std::string live;
  for (const auto& [job, state] : slurm_states(ids)) {
    bool alive = false;
    for (const char* s : {"PENDING", "RUNNING", "REQUEUE", "SUSPENDED", "CONFIGURING", "COMPLETING", "RESIZING",
                          "SIGNALING", "STAGE_OUT"})
      alive = alive || state.find(s) != std::string::npos;
    if (!alive) continue;
    live += (live.empty() ? "" : "; ") + std::string("job ") + job + " (" + state + ")";
  }
  if (!live.empty())
    throw IoError(output + ": this study's earlier submission is still in the queue: " + live +
                  "; wait for it or scancel it, then submit again");
}

// Submits one script; the job id.
std::string sbatch(const JobScript& job, const std::vector<std::string>& extra) {
  std::vector<std::string> argv{"sbatch"};
  argv.insert(argv.end(), job.sbatch_args.begin(), job.sbatch_args.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back(job.path);
  const ProcessResult r = run_process(argv);
  if (r.exit_code == -1) throw ConfigError("sbatch: not found: is this a Slurm cluster? (--dry-run only writes the scripts)");
  std::string id = r.out.substr(0, r.out.find_first_of(";\n"));
  if (r.exit_code != 0 || id.empty())
    throw IoError("sbatch " + job.path + " failed (exit " + std::to_string(r.exit_code) + "): " + r.err);
  return id;
}

void write_script(const JobScript& job) {
  write_file_atomically(job.path, job.text);
  fs::permissions(job.path, fs::perms::owner_exec | fs::perms::group_exec | fs::perms::others_exec,
                  fs::perm_options::add);
}

}  // namespace

SubmitContext submit_context(const SlurmStudy& study, const std::vector<std::string>& overrides) {
  SubmitContext ctx;
  std::error_code ec;
  ctx.binary = fs::read_symlink("/proc/self/exe", ec).string();
  if (ec) throw IoError("cannot find this executable's path (/proc/self/exe): " + ec.message());
  ctx.study_file = fs::absolute(study.source_path).lexically_normal().string();
  ctx.overrides = overrides;
  ctx.workdir = fs::current_path().string();
  ctx.output = fs::absolute(study.output).lexically_normal().string();
  ctx.slurm_dir = OutputLayout(ctx.output).slurm();
  ctx.token = utc_now("%Y%m%dT%H%M%SZ") + "-" + std::to_string(::getpid());
  return ctx;
}

void slurm_submit(const SlurmStudy& study, const SubmitContext& ctx, bool dry_run, std::ostream& out) {
  {
    // Briefly: the output must be this study's and no command may be writing it.
    const OutputLock lock(study.output, study.name);
    if (!dry_run) refuse_live_jobs(study.output);
    std::error_code ec;
    fs::create_directories(ctx.slurm_dir, ec);
    if (ec) throw IoError(ctx.slurm_dir + ": cannot create: " + ec.message());
  }
  // What `status OUTPUT` reads until the first train job has written study.h5.
  write_file_atomically(OutputLayout(ctx.output).slurm_study(), study.resolved_yaml);
  const JobScript train = train_job(study, ctx), post = post_job(study, ctx);
  write_script(train);
  write_script(post);
  const std::string dependency = study.slurm.array > 0 ? "afterany" : "afterok";
  if (dry_run) {
    for (const JobScript* job : {&train, &post}) {
      std::vector<std::string> argv{"sbatch"};
      argv.insert(argv.end(), job->sbatch_args.begin(), job->sbatch_args.end());
      if (job == &post) argv.push_back("--dependency=" + dependency + ":<train job>");
      argv.push_back(job->path);
      out << "# " << shell_words(argv) << "\n" << job->text << "\n";
    }
    out << "dry run: scripts written to " << ctx.slurm_dir << ", nothing submitted\n";
    return;
  }
  // Held until the post job depends on it and jobs.tsv lists both, so its
  // script always finds the post job it may have to cancel or redirect.
  const std::string train_id = sbatch(train, {"--hold"});
  std::string post_id;
  try {
    post_id = sbatch(post, {"--dependency=" + dependency + ":" + train_id});
    const std::string now = utc_now("%Y-%m-%dT%H:%M:%SZ");
    record_submission(OutputLayout(study.output).jobs_table(), {ctx.token, now,
                                                {{train_id, "train", "submitted", now, "0"},
                                                 {post_id, "post", "submitted", now, "0"}}});
    const ProcessResult release = run_process({"scontrol", "release", train_id});
    if (release.exit_code != 0) throw IoError("scontrol release " + train_id + " failed: " + release.err);
  } catch (...) {
    run_process({"scancel", train_id});
    if (!post_id.empty()) run_process({"scancel", post_id});
    throw;
  }
  out << "submitted study " << study.name << ": train job " << train_id
      << (study.slurm.array > 0 ? " (array of " + std::to_string(study.slurm.array) + " tasks)" : "")
      << ", cluster + report job " << post_id << " (" << dependency << ")\n"
      << "scripts and logs: " << ctx.slurm_dir << "\nfollow it with: clusterprobe status "
      << shell_quote(fs::absolute(study.output).lexically_normal().string()) << "\n";
}

}  // namespace cp
