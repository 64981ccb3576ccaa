#pragma once
// The stages of a study. Each is Collective over `world` and resumable on its
// own: train skips complete runs, cluster and report rewrite their outputs.
#include <mpi.h>

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/probe/items.hpp"

namespace cp {

/// Local. The study whose outputs are in `output_dir`: the configuration
/// study.h5 records, or, before the first train stage wrote it, the one
/// `clusterprobe slurm` left in slurm/study.yaml; its output is `output_dir`.
/// Throws InputError when neither exists.
StudyConfig recorded_study(const std::string& output_dir, const std::vector<std::string>& overrides);

/// Local. Where a study stands, from its output directory: each run complete,
/// running (a command holds the output and the run has started), pending or
/// failed (with its message), who holds the output, and the time left at the
/// rate the complete runs measured (their train_seconds against the plan's cost).
void print_status(const Plan& plan, std::ostream& out);

/// Collective over world. Trains every run of the grid that has no complete
/// activations file (rank groups of parallel.ranks_per_run claim runs dynamically, most expensive first), then
/// writes <output>/study.h5. A failed run is recorded and the study goes on.
/// With parallel.max_hours, runs not finished by then stay pending (resumable).
struct TrainSummary {
  bool out_of_time = false;  ///< the wall-time limit left runs pending (same on every rank)
  int failed = 0;            ///< runs that failed (same on every rank)
};
TrainSummary train_stage(const Plan& plan, MPI_Comm world, const std::string& cooperate = {});

/// Collective over world. Clusters every (file, epoch, layer) of `inputs`
/// (read on rank 0 only: the other ranks may pass an empty list),
/// spread over ranks, and writes <out_dir>/metrics.h5 and metrics.csv. An item
/// that cannot be scored is recorded in metrics.h5:/failures and the stage
/// goes on; no input at all is an InputError.
struct ClusterSummary {
  std::int64_t items = 0, failed = 0;  ///< same on every rank
  /// A stop signal to some rank stopped the stage before every item was
  /// scored (same on every rank): no metrics were written, the finished
  /// items are kept in metrics.partial, and the same command goes on.
  bool stopped = false;
};
/// What the cluster stage reads: complete activations files, and the runs
/// whose result was lost since training (a file deleted, truncated or
/// replaced), each a failure the stage records.
struct StudyInputs {
  std::vector<ClusterInput> files;
  std::vector<FailureRecord> lost;
};
ClusterSummary cluster_stage(const StudyInputs& inputs, const StudyConfig& study, const std::string& out_dir,
                             MPI_Comm world);

/// Local. The input of `analyze`: the file at `path`, refused (InputError
/// naming it, saying how to proceed) when its `complete` attribute is there
/// and not 1 (a stopped training's .tmp file) unless `allow_incomplete`; then
/// `notes` gets why its results may be partial, for the log and the report.
/// A file without the attribute (another tool's) is taken as it is.
StudyInputs analyze_inputs(const std::string& path, bool allow_incomplete, std::vector<std::string>& notes);

/// Local. The complete run files of a study's grid (io/activations.hpp:
/// incomplete_reason) and its lost ones: a file at the final name that is not
/// complete, or a missing file of a run study.h5 records complete.
StudyInputs study_inputs(const Plan& plan);

/// Collective over world (rank 0 works). Writes <out_dir>/report.md from
/// metrics.h5 (and study.h5 when present), then prints the result table.
/// With a `plan`, the report shows the plan's runs only, lists a trained run
/// without metrics as not complete, and names every cluster: or metrics:
/// setting that differs from the one metrics.h5 was written with (null: every
/// run the outputs hold, as for `analyze`). Returns whether every run is
/// complete and clustered with the study's settings and every item was scored.
/// `caveats` (rank 0's) are shown first, like the report's own notes, without
/// making it incomplete: what the user allowed (analyze --allow-incomplete).
bool report_stage(const std::string& out_dir, const Plan* plan, MPI_Comm world, std::ostream& out,
                  const std::vector<std::string>& caveats = {});

/// Local. `clusterprobe version`: this build, the HDF5 its calls reach, MPI,
/// and the HDF5 and LibTorch libraries mapped in this process; with
/// `load_trainer` it loads the training module first and names its LibTorch.
void print_versions(std::ostream& out, bool load_trainer);

}  // namespace cp
