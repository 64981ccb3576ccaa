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
#include <string>
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

/// Never returns: prints `message` with this rank's number and aborts every
/// rank of MPI_COMM_WORLD with `code`. For failures no agreement can cover.
[[noreturn]] void abort_world(const std::string& message, int code);

}  // namespace cp
