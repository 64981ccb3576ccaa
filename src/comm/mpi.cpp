#include "clusterprobe/comm/mpi.hpp"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <thread>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

// Whether this process's MpiEnvironment called MPI_Init: only the owner finalises,
// so a test harness that initialised MPI first keeps control of its lifetime.
bool g_we_initialised = false;

// A process started without a launcher is an MPI singleton. Open MPI would
// fork an orted for it and probe every network transport: 0.3 s of a 0.05 s
// `analyze` here. One process talks only to itself, so it is started
// isolated, on the shared-memory-free `self` transport; what the user set in
// the environment wins.
void prefer_fast_singleton() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(var)) return;
  setenv("OMPI_MCA_ess_singleton_isolated", "1", 0);
  setenv("OMPI_MCA_pml", "ob1", 0);
  setenv("OMPI_MCA_btl", "self", 0);
}

}  // namespace

MpiEnvironment::MpiEnvironment(int* argc, char*** argv) {
  int initialised = 0;
  check_mpi(MPI_Initialized(&initialised), "MPI_Initialized");
  if (!initialised) {
    prefer_fast_singleton();
    int provided = 0;
    // FUNNELED: OpenMP/LibTorch threads compute, only the main thread calls MPI.
    check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    g_we_initialised = true;
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      g_we_initialised = false;
      throw IoError("MPI_Init_thread: the MPI library does not support MPI_THREAD_FUNNELED");
    }
  }
  // The default (MPI_ERRORS_ARE_FATAL) would abort before we can name the failing call.
  check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

MpiEnvironment::~MpiEnvironment() {
  if (!g_we_initialised) return;
  int finalised = 0;
  MPI_Finalized(&finalised);
  if (!finalised) MPI_Finalize();
  g_we_initialised = false;
}

int comm_rank(MPI_Comm comm) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  return rank;
}

int comm_size(MPI_Comm comm) {
  int size = 0;
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  return size;
}

void check_mpi(int code, const char* what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) len = 0;
  throw IoError(std::string(what) + ": " +
                (len > 0 ? std::string(text, static_cast<size_t>(len))
                         : "MPI error code " + std::to_string(code)));
}

std::vector<std::string> gather_bytes(const std::string& local, MPI_Comm comm, int root) {
  const int rank = comm_rank(comm);
  const int size = comm_size(comm);
  // Sizes travel as 64-bit so the root can see (and report) an oversized
  // message instead of a silently truncated int.
  const std::int64_t my_size = static_cast<std::int64_t>(local.size());
  std::vector<std::int64_t> sizes(rank == root ? size : 0);
  check_mpi(MPI_Gather(&my_size, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, root, comm),
            "gather_bytes: MPI_Gather");

  // The root decides whether MPI_Gatherv's int counts and displacements can
  // hold everything; all ranks learn the verdict so they fail together.
  std::int64_t total = 0;
  if (rank == root)
    for (std::int64_t s : sizes) total += s;
  check_mpi(MPI_Bcast(&total, 1, MPI_INT64_T, root, comm), "gather_bytes: MPI_Bcast");
  if (total > INT_MAX)
    throw IoError("gather_bytes: " + std::to_string(total) +
                  " bytes in total exceed MPI_Gatherv's INT_MAX limit");

  std::vector<int> counts, displs;
  std::string all;
  if (rank == root) {
    counts.resize(size);
    displs.resize(size);
    int offset = 0;
    for (int r = 0; r < size; ++r) {
      counts[r] = static_cast<int>(sizes[r]);
      displs[r] = offset;
      offset += counts[r];
    }
    all.resize(static_cast<size_t>(total));
  }
  check_mpi(MPI_Gatherv(local.data(), static_cast<int>(local.size()), MPI_BYTE, all.data(),
                        counts.data(), displs.data(), MPI_BYTE, root, comm),
            "gather_bytes: MPI_Gatherv");

  std::vector<std::string> out;
  if (rank != root) return out;
  out.reserve(size);
  for (int r = 0; r < size; ++r) out.push_back(all.substr(displs[r], counts[r]));
  return out;
}

std::string broadcast_bytes(const std::string& bytes, MPI_Comm comm, int root) {
  const int rank = comm_rank(comm);
  std::int64_t n = rank == root ? static_cast<std::int64_t>(bytes.size()) : 0;
  check_mpi(MPI_Bcast(&n, 1, MPI_INT64_T, root, comm), "broadcast_bytes: MPI_Bcast");
  std::string out = rank == root ? bytes : std::string(static_cast<size_t>(n), '\0');
  // Every rank knows n, so chunking by INT_MAX lifts the int count limit.
  for (std::int64_t done = 0; done < n;) {
    const int chunk = static_cast<int>(std::min<std::int64_t>(n - done, INT_MAX));
    check_mpi(MPI_Bcast(out.data() + done, chunk, MPI_BYTE, root, comm),
              "broadcast_bytes: MPI_Bcast");
    done += chunk;
  }
  return out;
}

void sum_same_bits(double* values, std::size_t count, MPI_Comm comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  const bool root = comm_rank(comm) == 0;
  for (std::size_t off = 0; off < count; off += kPiece) {
    const int n = static_cast<int>(std::min(kPiece, count - off));
    check_mpi(MPI_Reduce(root ? MPI_IN_PLACE : values + off, values + off, n, MPI_DOUBLE, MPI_SUM, 0, comm),
              "MPI_Reduce");
    check_mpi(MPI_Bcast(values + off, n, MPI_DOUBLE, 0, comm), "MPI_Bcast");
  }
}

bool any_of(bool flag, MPI_Comm comm) {
  int local = flag ? 1 : 0, global = 0;
  check_mpi(MPI_Allreduce(&local, &global, 1, MPI_INT, MPI_LOR, comm), "any_of: MPI_Allreduce");
  return global != 0;
}

void patient_bcast(std::int64_t& value, int root, MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&value, 1, MPI_INT64_T, root, comm, &request), "patient_bcast: MPI_Ibcast");
  for (int done = 0;;) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "patient_bcast: MPI_Test");
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace cp
