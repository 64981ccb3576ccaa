#pragma once
// The slurm: section of a study file (config/ reads and writes it) and what
// the Slurm side needs of a study: `clusterprobe slurm` never sees the rest.
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

/// Resources of one Slurm job (the slurm: section, `clusterprobe slurm`).
/// 0 or empty in the cluster job's resources means "as the train job".
struct SlurmResources {
  int nodes = 1;
  int ranks_per_node = 1;
  int gpus_per_node = 0;
  int cpus_per_rank = 1;
  std::string time = "1:00:00";   ///< Slurm time limit: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S
  std::string partition;
};

/// How `clusterprobe slurm` writes and submits a study's jobs (slurm/README.md).
struct SlurmConfig {
  SlurmResources train;                          ///< the train job (the section's top level)
  SlurmResources cluster{1, 0, 0, 0, "", ""};    ///< the cluster + report job (slurm.cluster)
  std::string account, qos;
  std::vector<std::string> sbatch;               ///< extra sbatch options, e.g. --mem=64G
  std::string launcher = "srun";                 ///< srun (srun --mpi=pmix) | mpirun
  int margin = 300;        ///< seconds: the warning signal before the limit, and max_hours' margin
  int max_requeues = 10;   ///< requeues or resubmissions of one train job before it gives up
  bool requeue = true;     ///< scontrol requeue after exit 75; false: submit the job again
  int array = 0;           ///< > 0: that many cooperating array tasks train the study
  int lease = 300;         ///< seconds an array task's claim on a run lasts without renewal
};

/// Local. Seconds in a Slurm time limit (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S),
/// or -1 when `text` is not one.
std::int64_t slurm_time_seconds(const std::string& text);

/// What `clusterprobe slurm` needs of a study.
struct SlurmStudy {
  std::string name;           ///< the study's name
  std::string output;         ///< its output directory
  std::string source_path;    ///< the study file
  std::string resolved_yaml;  ///< the whole resolved configuration
  SlurmConfig slurm;
};

}  // namespace cp
