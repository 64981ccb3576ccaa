#include "clusterprobe/sched/claim.hpp"

#include <algorithm>
#include <numeric>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

std::vector<std::size_t> cost_order(const std::vector<double>& costs) {
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  return order;
}

RunCounter::RunCounter(MPI_Comm comm) {
  const bool owner = comm_rank(comm) == 0;
  const MPI_Aint bytes = owner ? static_cast<MPI_Aint>(sizeof(std::int64_t)) : 0;
  check_mpi(MPI_Win_allocate(bytes, static_cast<int>(sizeof(std::int64_t)), MPI_INFO_NULL, comm,
                             &base_, &win_),
            "RunCounter: MPI_Win_allocate");
  check_mpi(MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN), "RunCounter: MPI_Win_set_errhandler");
  if (owner) {
    // The owner initialises its own memory inside an exclusive epoch, which
    // makes the store visible to the atomics of other ranks.
    check_mpi(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win_), "RunCounter: MPI_Win_lock");
    *base_ = 0;
    check_mpi(MPI_Win_unlock(0, win_), "RunCounter: MPI_Win_unlock");
  }
  // No claim may start before the counter is zeroed.
  check_mpi(MPI_Barrier(comm), "RunCounter: MPI_Barrier");
}

RunCounter::~RunCounter() {
  if (win_ != MPI_WIN_NULL) MPI_Win_free(&win_);
}

std::int64_t RunCounter::fetch_add() {
  const std::int64_t one = 1;
  std::int64_t previous = -1;
  check_mpi(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_), "RunCounter: MPI_Win_lock");
  const int rc = MPI_Fetch_and_op(&one, &previous, MPI_INT64_T, 0, 0, MPI_SUM, win_);
  // Unlock even after a failed op: the epoch must close either way.
  const int unlock = MPI_Win_unlock(0, win_);
  check_mpi(rc, "RunCounter: MPI_Fetch_and_op");
  check_mpi(unlock, "RunCounter: MPI_Win_unlock");
  return previous;
}

}  // namespace cp
