#pragma once
// The batch scripts of a study: the train job and the cluster + report job
// that follows it. Every value that comes from the user reaches the shell
// single-quoted (slurm/process.hpp), and #SBATCH lines carry only values
// the study file's validation restricted to Slurm names.
#include <string>
#include <vector>

#include "clusterprobe/slurm/config.hpp"

namespace cp {

/// Where and how the jobs run, fixed when they are written.
struct SubmitContext {
  std::string binary;                  ///< absolute path of the clusterprobe executable
  std::string study_file;              ///< absolute path of the study file
  std::vector<std::string> overrides;  ///< key=value overrides every stage is given
  std::string workdir;                 ///< absolute: where the jobs run (the output path is relative to it)
  std::string output;                  ///< absolute output directory (per-rank logs under logs/<job>/)
  std::string slurm_dir;               ///< absolute <output>/slurm: scripts, job logs, jobs.tsv
  std::string token;                   ///< names this submission in jobs.tsv and the array tasks' claims
};

/// One job: its script and the sbatch options that go on the command line
/// (not into the script: paths there would be parsed by sbatch).
struct JobScript {
  std::string stage;                     ///< train | post
  std::string path;                      ///< <slurm_dir>/<stage>.sbatch
  std::string text;
  std::vector<std::string> sbatch_args;  ///< before the script path; submission adds --hold/--dependency
};

/// Local. The train job: runs `train` under the launcher, forwards Slurm's
/// warning signal and TERM to every rank, requeues (or resubmits) itself on
/// exit 75 within slurm.max_requeues, and cancels the post job on a failure.
JobScript train_job(const SlurmStudy& study, const SubmitContext& ctx);

/// Local. The cluster + report job.
JobScript post_job(const SlurmStudy& study, const SubmitContext& ctx);

/// Local. parallel.max_hours for a train job with `study.slurm`'s time limit
/// and margin: the limit less the margin, in hours.
double train_max_hours(const SlurmStudy& study);

}  // namespace cp
