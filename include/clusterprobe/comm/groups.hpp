#pragma once
// Rank groups (LBANN's "trainers"): the world is split into groups of
// `ranks_per_run` consecutive ranks; each group trains one run at a time,
// data-parallel, and its rank 0 leads (claims runs, logs, writes checkpoints).
#include <mpi.h>

namespace cp {

class RankGroups {
 public:
  /// Collective over `world`. Ranks [g*R, (g+1)*R) form group g (R =
  /// ranks_per_run, capped at the world size); when the world size is not a
  /// multiple of R the last group is smaller (data-parallel results do not
  /// depend on the group size). Also builds the communicator of the group
  /// leaders. Every communicator it owns has MPI_ERRORS_RETURN.
  /// REQUIRES: ranks_per_run >= 1 (InternalError otherwise).
  RankGroups(MPI_Comm world, int ranks_per_run);
  /// Frees the communicators this object created (never `world`).
  ~RankGroups();
  RankGroups(const RankGroups&) = delete;
  RankGroups& operator=(const RankGroups&) = delete;

  MPI_Comm world() const { return world_; }
  /// The ranks of this group.
  MPI_Comm group() const { return group_; }
  /// The group leaders; MPI_COMM_NULL on ranks that do not lead.
  MPI_Comm leaders() const { return leaders_; }
  int group_index() const { return index_; }
  int num_groups() const { return count_; }
  int group_rank() const { return group_rank_; }
  int group_size() const { return group_size_; }
  bool is_leader() const { return group_rank_ == 0; }

 private:
  MPI_Comm world_;
  MPI_Comm group_ = MPI_COMM_NULL;
  MPI_Comm leaders_ = MPI_COMM_NULL;
  int index_ = 0, count_ = 1, group_rank_ = 0, group_size_ = 1;
};

/// Where this rank sits on its node.
struct NodePlacement {
  int local_rank = 0;  ///< OMPI_COMM_WORLD_LOCAL_RANK, else SLURM_LOCALID, else the rank in the node's shared-memory communicator
  int local_size = 1;  ///< ranks of `world` on this node
  int cores = 1;       ///< cores the node reports
};

/// Collective over `world` (MPI_Comm_split_type(MPI_COMM_TYPE_SHARED), always
/// called so every rank takes the same path whatever its environment says).
NodePlacement node_placement(MPI_Comm world);

}  // namespace cp
