#pragma once
// The stages of a study. Each is Collective over `world` and resumable on its
// own: train skips complete runs, cluster and report rewrite their outputs.
#include <mpi.h>

#include <iosfwd>
#include <string>
#include <vector>

#include "clusterprobe/config/study.hpp"

namespace cp {

/// Local. Prints the expanded runs (id, axes, cost, whether already complete).
void print_plan(const StudyConfig& study, std::ostream& out);

/// Collective over world. Trains every run of the grid that has no complete
/// activations file (rank groups of parallel.ranks_per_run claim runs dynamically, most expensive first), then
/// writes <output>/study.h5. A failed run is recorded and the study goes on.
/// With parallel.max_hours, runs not finished by then stay pending (resumable).
struct TrainSummary {
  bool out_of_time = false;  ///< the wall-time limit left runs pending (same on every rank)
};
TrainSummary train_stage(const StudyConfig& study, MPI_Comm world);

/// One activations file to cluster, and the run id it belongs to.
struct ClusterInput {
  std::string run_id;
  std::string path;
};

/// Collective over world. Clusters every (file, epoch, layer) of `inputs`,
/// spread over ranks, and writes <out_dir>/metrics.h5 and metrics.csv.
void cluster_stage(const std::vector<ClusterInput>& inputs, const StudyConfig& study,
                   const std::string& out_dir, MPI_Comm world);

/// Local. The complete run files of a study's grid.
std::vector<ClusterInput> study_inputs(const StudyConfig& study);

/// Collective over world (rank 0 works). Prints the result table and writes
/// <out_dir>/report.md from metrics.h5 (and study.h5 when present).
void report_stage(const std::string& out_dir, MPI_Comm world, std::ostream& out);

/// Local. Path helpers for the output layout.
std::string run_dir(const StudyConfig& study, const std::string& run_id);
std::string run_file(const StudyConfig& study, const std::string& run_id);

}  // namespace cp
