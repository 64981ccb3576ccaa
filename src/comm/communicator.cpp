// The MPI backend of Communicator.
#include "clusterprobe/comm/communicator.hpp"

#include <algorithm>
#include <climits>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

MPI_Datatype mpi_type(DType type) {
  switch (type) {
    case DType::f32: return MPI_FLOAT;
    case DType::f64: return MPI_DOUBLE;
    case DType::i32: return MPI_INT32_T;
    case DType::i64: return MPI_INT64_T;
  }
  CP_THROW_INTERNAL("unknown DType");
}

class MpiCommunicator final : public Communicator {
 public:
  explicit MpiCommunicator(MPI_Comm comm) {
    check_mpi(MPI_Comm_dup(comm, &comm_), "MpiCommunicator: MPI_Comm_dup");
    check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN),
              "MpiCommunicator: MPI_Comm_set_errhandler");
    rank_ = comm_rank(comm_);
    size_ = comm_size(comm_);
  }
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "mpi"; }
  bool device_buffers() const override { return false; }

  void allreduce_sum(void* data, std::size_t count, DType type) override {
    // MPI counts are int: every rank knows `count`, so chunking is symmetric.
    char* bytes = static_cast<char*>(data);
    for (std::size_t done = 0; done < count;) {
      const int n = static_cast<int>(std::min<std::size_t>(count - done, INT_MAX));
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, bytes + done * dtype_size(type), n, mpi_type(type),
                              MPI_SUM, comm_),
                "Communicator(mpi): MPI_Allreduce");
      done += static_cast<std::size_t>(n);
    }
  }

  void broadcast(void* data, std::size_t count, DType type, int root) override {
    char* bytes = static_cast<char*>(data);
    for (std::size_t done = 0; done < count;) {
      const int n = static_cast<int>(std::min<std::size_t>(count - done, INT_MAX));
      check_mpi(MPI_Bcast(bytes + done * dtype_size(type), n, mpi_type(type), root, comm_),
                "Communicator(mpi): MPI_Bcast");
      done += static_cast<std::size_t>(n);
    }
  }

  void barrier() override { check_mpi(MPI_Barrier(comm_), "Communicator(mpi): MPI_Barrier"); }
  void synchronize() override {}

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::size_t dtype_size(DType type) {
  switch (type) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
    case DType::i64: return 8;
  }
  CP_THROW_INTERNAL("unknown DType");
}

std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm) {
  return std::make_unique<MpiCommunicator>(comm);
}

bool nccl_compiled() { return CLUSTERPROBE_HAS_NCCL != 0; }

}  // namespace cp
