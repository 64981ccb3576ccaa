#pragma once
// How ranks agree that something failed.
//
// A section of work that may fail on some ranks and not others (rank 0 writing
// the study index, one rank reading a corrupt file) runs inside collective():
// every rank catches what it threw, then all ranks exchange whether and how
// they failed, and if any did, every rank throws the same error: the kind and
// message of the lowest failing rank, marked as agreed. So no rank ever goes
// on to a later collective call while another has left; the CLI prints an
// agreed error once and exits with its kind's code on every rank.
//
// An error that cannot be agreed (an MPI call of the agreement itself fails:
// a rank is gone) aborts the world instead of waiting (GROMACS's rule).
#include <mpi.h>

#include <exception>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "clusterprobe/common/error.hpp"

namespace cp {

/// Collective over comm. `local` is what this rank caught (null: nothing).
/// Returns if no rank failed; otherwise throws the agreed error on every rank.
void agree(std::exception_ptr local, MPI_Comm comm);

/// Collective over comm. The same for a check whose failure is a message
/// (empty: this rank is fine), raised as `kind`.
void agree(ErrorKind kind, const std::string& local_error, MPI_Comm comm);

/// Collective over comm. Runs `work` on this rank, then agrees on failure.
template <class F>
void collective(MPI_Comm comm, F&& work) {
  std::exception_ptr failure;
  try {
    std::forward<F>(work)();
  } catch (...) {
    failure = std::current_exception();
  }
  agree(failure, comm);
}

/// Collective over comm. Rank 0's `bytes` bytes at `data` on every rank;
/// aborts the world if the broadcast itself fails (it follows an agreement).
void broadcast_from_root(void* data, std::size_t bytes, MPI_Comm comm);

/// Collective over comm. Runs `work` on rank 0 only, agrees on failure, then
/// gives rank 0's result to every rank: the shape of every decision a leader
/// takes for its group (a claim, whether a file is complete, a count).
template <class T, class F>
T from_root(MPI_Comm comm, F&& work) {
  static_assert(std::is_trivially_copyable_v<T>, "from_root broadcasts raw bytes");
  T value{};
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  collective(comm, [&] {
    if (rank == 0) value = std::forward<F>(work)();
  });
  broadcast_from_root(&value, sizeof value, comm);
  return value;
}

/// Never returns: prints `message` with this rank's number and aborts every
/// rank of MPI_COMM_WORLD with `code`. For failures no agreement can cover.
[[noreturn]] void abort_world(const std::string& message, int code);

}  // namespace cp
