#include "clusterprobe/comm/agree.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <vector>

namespace cp {
namespace {

// The agreement's own MPI calls must not throw (that would leave the other
// ranks inside it): a failure here means a rank is gone, so the world stops.
void must(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  MPI_Error_string(code, text, &len);
  abort_world(std::string("cannot agree on a failure (") + what + ": " + std::string(text, len) + ")",
              static_cast<int>(ErrorKind::internal));
}

}  // namespace

void agree(std::exception_ptr local, MPI_Comm comm) {
  int rank = 0, size = 1;
  must(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  must(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  std::string message;
  ErrorKind kind = ErrorKind::internal;
  if (local) {
    try {
      std::rethrow_exception(local);
    } catch (...) {
      kind = current_kind(message);
    }
  }
  int mine = local ? rank : size, lowest = size;
  must(MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce");
  if (lowest == size) return;
  // The first failing rank's kind and message reach every rank.
  std::int64_t head[2] = {static_cast<std::int64_t>(kind), static_cast<std::int64_t>(message.size())};
  must(MPI_Bcast(head, 2, MPI_INT64_T, lowest, comm), "MPI_Bcast");
  // Messages are short; an absurd one is cut rather than overflowing an int count.
  const int n = static_cast<int>(std::min<std::int64_t>(head[1], 1 << 20));
  std::vector<char> text(static_cast<std::size_t>(n));
  if (rank == lowest) text.assign(message.begin(), message.begin() + n);
  must(MPI_Bcast(text.data(), n, MPI_CHAR, lowest, comm), "MPI_Bcast");
  throw_agreed(static_cast<ErrorKind>(head[0]), std::string(text.begin(), text.end()));
}

void agree(ErrorKind kind, const std::string& local_error, MPI_Comm comm) {
  std::exception_ptr failure;
  if (!local_error.empty()) {
    try {
      throw_error(kind, local_error);
    } catch (...) {
      failure = std::current_exception();
    }
  }
  agree(failure, comm);
}

void broadcast_from_root(void* data, std::size_t bytes, MPI_Comm comm) {
  must(MPI_Bcast(data, static_cast<int>(bytes), MPI_BYTE, 0, comm), "MPI_Bcast");
}

void abort_world(const std::string& message, int code) {
  int rank = -1, initialised = 0, finalised = 0;
  MPI_Initialized(&initialised);
  MPI_Finalized(&finalised);
  if (initialised && !finalised) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  // One write: a line written in pieces may be split by another rank's output.
  std::cerr << ("clusterprobe: error on rank " + std::to_string(rank) + ": " + message + " (aborting every rank)\n");
  if (initialised && !finalised) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

}  // namespace cp
