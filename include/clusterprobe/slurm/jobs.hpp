#pragma once
// <output>/slurm/jobs.tsv: the jobs of each submission and what happened to
// them (submitted, started, requeued, resubmitted, finished, failed), written
// by `clusterprobe slurm` and appended to by the job scripts themselves, and
// what Slurm says about them now.
#include <map>
#include <string>
#include <vector>

namespace cp {

struct JobRow {
  std::string job;    ///< job id; array tasks as <array>_<task>
  std::string stage;  ///< train | post
  std::string event;  ///< submitted, started, requeued (exit 75), resubmitted (after N), finished (exit 0), ...
  std::string time;   ///< UTC
  std::string requeues;
};

struct Submission {
  std::string token, time;
  std::vector<JobRow> rows;
};

/// Local. The submissions recorded in `path`, oldest first (none if absent).
std::vector<Submission> read_jobs(const std::string& path);

/// Local. Appends a submission (its header line and rows) to `path`,
/// replacing the file atomically; the scripts append their events after it.
void record_submission(const std::string& path, const Submission& submission);

/// Local. Slurm's state of each of `jobs` that it still knows: squeue for
/// jobs in the queue (an array job id matches its tasks), then sacct where
/// accounting answers. Jobs it does not know are absent; so is everything
/// where Slurm's tools are not installed.
std::map<std::string, std::string> slurm_states(const std::vector<std::string>& jobs);

}  // namespace cp
