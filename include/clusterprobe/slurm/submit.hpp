#pragma once
// `clusterprobe slurm STUDY.yaml`: writes the study's jobs into
// <output>/slurm/ and submits them: the train job (an array of cooperating
// tasks with slurm.array), then the cluster + report job depending on it.
#include <ostream>
#include <string>
#include <vector>

#include "clusterprobe/slurm/config.hpp"
#include "clusterprobe/slurm/scripts.hpp"

namespace cp {

/// Local. Absolute paths for the jobs (this executable, the study file, the
/// working directory, <output>/slurm) and a fresh submission token.
SubmitContext submit_context(const SlurmStudy& study, const std::vector<std::string>& overrides);

/// Local. Writes train.sbatch and post.sbatch (atomically, executable) and,
/// unless `dry_run`, submits them with sbatch --parsable: the train job held
/// until the post job depends on it and jobs.tsv records both, then released.
/// Refuses (IoError, exit 4) while a job of an earlier submission of this
/// output is still in the queue or a command holds the output, and
/// (ConfigError) when the output belongs to another study or Slurm's tools are missing.
/// Prints the scripts (dry run) or the job ids to `out`.
void slurm_submit(const SlurmStudy& study, const SubmitContext& ctx, bool dry_run, std::ostream& out);

}  // namespace cp
