#include "clusterprobe/sched/claim.hpp"

#include <algorithm>
#include <numeric>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

namespace {

// The window: the claim counter, the stop flag, then one state per run.
constexpr std::size_t kCounter = 0, kStop = 1, kFirstState = 2;

}  // namespace

std::vector<std::size_t> cost_order(const std::vector<double>& costs,
                                    const std::vector<bool>& first) {
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  auto tier = [&](std::size_t i) { return i < first.size() && first[i] ? 0 : 1; };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (tier(a) != tier(b)) return tier(a) < tier(b);
    return costs[a] > costs[b];
  });
  return order;
}

RunCounter::RunCounter(MPI_Comm comm, std::size_t runs) : runs_(runs) {
  const bool owner = comm_rank(comm) == 0;
  const MPI_Aint bytes = owner ? static_cast<MPI_Aint>(sizeof(std::int64_t) * (kFirstState + runs)) : 0;
  // The first place a multi-node job fails when Open MPI has no one-sided
  // component for its network (Debian's excludes pt2pt): say what to set.
  check_mpi(MPI_Win_allocate(bytes, static_cast<int>(sizeof(std::int64_t)), MPI_INFO_NULL, comm,
                             &base_, &win_),
            "RunCounter: MPI_Win_allocate (the run counter's one-sided window; between nodes over TCP, "
            "Open MPI needs OMPI_MCA_osc=pt2pt, see slurm/README.md)");
  check_mpi(MPI_Win_set_errhandler(win_, MPI_ERRORS_RETURN), "RunCounter: MPI_Win_set_errhandler");
  if (owner) {
    // The owner initialises its own memory inside an exclusive epoch, which
    // makes the store visible to the atomics of other ranks.
    check_mpi(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win_), "RunCounter: MPI_Win_lock");
    std::fill(base_, base_ + kFirstState + runs, std::int64_t{0});
    check_mpi(MPI_Win_unlock(0, win_), "RunCounter: MPI_Win_unlock");
  }
  // No claim may start before the counter is zeroed.
  check_mpi(MPI_Barrier(comm), "RunCounter: MPI_Barrier");
}

RunCounter::~RunCounter() {
  if (win_ != MPI_WIN_NULL) MPI_Win_free(&win_);
}

std::int64_t RunCounter::fetch_add() { return atomic(kCounter, 1, MPI_SUM); }

void RunCounter::stop_all() { atomic(kStop, 1, MPI_REPLACE); }

bool RunCounter::stopped() { return atomic(kStop, 0, MPI_NO_OP) != 0; }

void RunCounter::set_state(std::size_t run, RunState state) {
  if (run >= runs_) CP_THROW_INTERNAL("RunCounter: run " + std::to_string(run) + " out of range");
  atomic(kFirstState + run, static_cast<std::int64_t>(state), MPI_REPLACE);
}

RunState RunCounter::state(std::size_t run) {
  if (run >= runs_) CP_THROW_INTERNAL("RunCounter: run " + std::to_string(run) + " out of range");
  return static_cast<RunState>(atomic(kFirstState + run, 0, MPI_NO_OP));
}

// Every access is an MPI_Fetch_and_op, so reads and writes of one slot are
// atomic with respect to each other (mixing Put/Get with atomics is not).
std::int64_t RunCounter::atomic(std::size_t slot, std::int64_t value, MPI_Op op) {
  std::int64_t previous = -1;
  check_mpi(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_), "RunCounter: MPI_Win_lock");
  const int rc = MPI_Fetch_and_op(&value, &previous, MPI_INT64_T, 0,
                                  static_cast<MPI_Aint>(slot), op, win_);
  // Unlock even after a failed op: the epoch must close either way.
  const int unlock = MPI_Win_unlock(0, win_);
  check_mpi(rc, "RunCounter: MPI_Fetch_and_op");
  check_mpi(unlock, "RunCounter: MPI_Win_unlock");
  return previous;
}

}  // namespace cp
