#pragma once
// Dynamic run scheduling: group leaders claim runs from one shared counter
// (MPI one-sided atomics), so a skewed grid keeps every group busy without a
// master rank handing out work.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace cp {

/// Local. Indices of `costs` sorted by decreasing cost (ties: lower index
/// first): the order in which runs are claimed, most expensive first, so the
/// long runs start early and the short ones fill the gaps at the end.
/// Runs with `first[i]` set (pretraining runs) come before all others, so a
/// run is never claimed before the run it waits for.
std::vector<std::size_t> cost_order(const std::vector<double>& costs,
                                    const std::vector<bool>& first = {});

/// What the groups know about a run while the stage is going on.
/// interrupted: stopped resumably (a later stage goes on), so its dependents stay pending.
enum class RunState : std::int64_t { unknown = 0, running = 1, complete = 2, failed = 3, interrupted = 4 };

/// A 64-bit counter, a stop flag and one state per run in an MPI window held by rank 0
/// of `comm`: the counter hands out claims, the states let a run wait for
/// its pretraining run without touching the file system.
///
/// Passive-target progress: with shared memory (one node) any rank can update
/// the counter while rank 0 computes. Across nodes some networks progress
/// passive-target atomics only when the owner enters MPI; rank 0 leads a
/// group, and data-parallel training calls MPI every step when its group has
/// more than one rank.
class RunCounter {
 public:
  /// Collective over `comm` (MPI_Win_allocate). Counter 0, every state unknown.
  explicit RunCounter(MPI_Comm comm, std::size_t runs = 0);
  /// Collective over `comm` (MPI_Win_free): reach it on every rank, also when
  /// unwinding, so no rank waits forever.
  ~RunCounter();
  RunCounter(const RunCounter&) = delete;
  RunCounter& operator=(const RunCounter&) = delete;

  /// Local (no other rank takes part): atomically returns the counter's value
  /// and adds 1 (MPI_Fetch_and_op under a shared lock). Each value is returned
  /// exactly once over all ranks. Throws IoError on an MPI failure.
  std::int64_t fetch_add();

  /// Local. Atomically sets / reads the state of run `run` (< runs).
  void set_state(std::size_t run, RunState state);
  RunState state(std::size_t run);

  /// Local. Atomically records / reads that some group was asked to stop (a
  /// stop signal to any of its ranks): then no group claims another run.
  void stop_all();
  bool stopped();

 private:
  std::int64_t atomic(std::size_t slot, std::int64_t value, MPI_Op op);

  MPI_Win win_ = MPI_WIN_NULL;
  std::size_t runs_ = 0;
  std::int64_t* base_ = nullptr;
};

}  // namespace cp
