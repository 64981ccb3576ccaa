#include "clusterprobe/comm/groups.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

RankGroups::RankGroups(MPI_Comm world, int ranks_per_run) : world_(world) {
  CP_ASSERT(ranks_per_run >= 1, "ranks_per_run must be at least 1");
  const int rank = comm_rank(world), size = comm_size(world);
  const int per = std::min(ranks_per_run, size);
  index_ = rank / per;
  count_ = (size + per - 1) / per;
  // Key = world rank: group ranks follow world order, so group rank 0 is the
  // lowest world rank of the block.
  check_mpi(MPI_Comm_split(world, index_, rank, &group_), "RankGroups: MPI_Comm_split(group)");
  check_mpi(MPI_Comm_set_errhandler(group_, MPI_ERRORS_RETURN), "RankGroups: MPI_Comm_set_errhandler");
  group_rank_ = comm_rank(group_);
  group_size_ = comm_size(group_);
  check_mpi(MPI_Comm_split(world, is_leader() ? 0 : MPI_UNDEFINED, rank, &leaders_),
            "RankGroups: MPI_Comm_split(leaders)");
  if (leaders_ != MPI_COMM_NULL) {
    check_mpi(MPI_Comm_set_errhandler(leaders_, MPI_ERRORS_RETURN),
              "RankGroups: MPI_Comm_set_errhandler");
  }
}

RankGroups::~RankGroups() {
  if (leaders_ != MPI_COMM_NULL) MPI_Comm_free(&leaders_);
  if (group_ != MPI_COMM_NULL) MPI_Comm_free(&group_);
}

NodePlacement node_placement(MPI_Comm world) {
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, comm_rank(world), MPI_INFO_NULL, &node),
            "node_placement: MPI_Comm_split_type");
  NodePlacement p;
  p.local_rank = comm_rank(node);
  p.local_size = comm_size(node);
  MPI_Comm_free(&node);
  // The launcher's numbering, when there is one, is what GPU binding scripts use too.
  for (const char* var : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"}) {
    if (const char* v = std::getenv(var)) {
      char* end = nullptr;
      const long r = std::strtol(v, &end, 10);
      if (end != v && *end == '\0' && r >= 0) {
        p.local_rank = static_cast<int>(r);
        break;
      }
    }
  }
  p.cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return p;
}

}  // namespace cp
