#pragma once
// Thin MPI helpers. Communicators we own get MPI_ERRORS_RETURN, and every
// call's code is checked so a failure becomes an IoError naming the call.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

/// Initialises MPI (threads funneled) on construction, finalises on destruction.
/// Works without mpirun too (singleton MPI_Init). Sets MPI_ERRORS_RETURN on
/// MPI_COMM_WORLD and MPI_COMM_SELF. If MPI is already initialised (a test
/// harness), it only sets the error handlers and leaves finalising to its owner.
class MpiEnvironment {
 public:
  MpiEnvironment(int* argc, char*** argv);
  ~MpiEnvironment();
  MpiEnvironment(const MpiEnvironment&) = delete;
  MpiEnvironment& operator=(const MpiEnvironment&) = delete;
};

/// Local. Rank and size of comm (IoError on failure).
int comm_rank(MPI_Comm comm);
int comm_size(MPI_Comm comm);

/// Local. Throws IoError("<what>: <MPI error string>") when code != MPI_SUCCESS.
void check_mpi(int code, const char* what);

/// Collective over comm. Every rank's bytes, on `root` (empty vector elsewhere).
/// Throws IoError on every rank if the total exceeds INT_MAX bytes.
std::vector<std::string> gather_bytes(const std::string& local, MPI_Comm comm, int root = 0);

/// Collective over comm. `root`'s bytes on every rank (any size).
std::string broadcast_bytes(const std::string& bytes, MPI_Comm comm, int root = 0);

/// Collective over comm. Replaces `count` doubles with their sum over the
/// ranks, the same bits on every rank: MPI_Allreduce need not give every rank
/// the same floating-point sum, and ranks that decide from it must agree. One
/// rank reduces, then broadcasts (in pieces below 2^30 values).
void sum_same_bits(double* values, std::size_t count, MPI_Comm comm);

/// Collective over comm. True on every rank if `flag` is true on any rank.
bool any_of(bool flag, MPI_Comm comm);

/// Collective over comm. MPI_Bcast of one int64 that sleeps while it waits
/// (MPI_Ibcast polled every few milliseconds): for ranks that may wait
/// minutes for their root (e.g. while it waits for a pretraining run), where
/// a blocking broadcast would spin a core at 100%.
void patient_bcast(std::int64_t& value, int root, MPI_Comm comm);

}  // namespace cp
