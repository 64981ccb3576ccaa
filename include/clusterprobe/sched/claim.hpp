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
std::vector<std::size_t> cost_order(const std::vector<double>& costs);

/// A 64-bit counter in an MPI window held by rank 0 of `comm`.
///
/// Passive-target progress: with shared memory (one node) any rank can update
/// the counter while rank 0 computes. Across nodes some networks progress
/// passive-target atomics only when the owner enters MPI; rank 0 leads a
/// group, and data-parallel training calls MPI every step when its group has
/// more than one rank (see notes/build-stack.md section 8).
class RunCounter {
 public:
  /// Collective over `comm` (MPI_Win_allocate). Starts at 0.
  explicit RunCounter(MPI_Comm comm);
  /// Collective over `comm` (MPI_Win_free): reach it on every rank, also when
  /// unwinding, so no rank waits forever.
  ~RunCounter();
  RunCounter(const RunCounter&) = delete;
  RunCounter& operator=(const RunCounter&) = delete;

  /// Local (no other rank takes part): atomically returns the counter's value
  /// and adds 1 (MPI_Fetch_and_op under a shared lock). Each value is returned
  /// exactly once over all ranks. Throws IoError on an MPI failure.
  std::int64_t fetch_add();

 private:
  MPI_Win win_ = MPI_WIN_NULL;
  std::int64_t* base_ = nullptr;
};

}  // namespace cp
