// The NCCL backend of Communicator. Compiled only when CMake finds the CUDA
// runtime and NCCL (see CMakeLists.txt); it needs no CUDA LibTorch: it sees
// raw device pointers and a cudaStream_t, never a tensor.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

std::string nccl_message(ncclResult_t r, const char* what) {
  return std::string(what) + ": " + ncclGetErrorString(r);
}

std::string cuda_message(cudaError_t e, const char* what) {
  return std::string(what) + ": " + cudaGetErrorString(e);
}

void check_nccl(ncclResult_t r, const char* what) {
  if (r != ncclSuccess) throw IoError(nccl_message(r, what));
}

void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw IoError(cuda_message(e, what));
}

ncclDataType_t nccl_type(DType type) {
  switch (type) {
    case DType::f32: return ncclFloat32;
    case DType::f64: return ncclFloat64;
    case DType::i32: return ncclInt32;
    case DType::i64: return ncclInt64;
  }
  CP_THROW_INTERNAL("unknown DType");
}

// Collective over comm: every rank throws IoError(first message) together,
// so no rank is left waiting in MPI_Bcast or ncclCommInitRank.
void agree_io(const std::string& local_error, MPI_Comm comm) {
  agree(ErrorKind::io, local_error.empty() ? "" : "NCCL communicator: " + local_error, comm);
}

// Host name and PCI bus id: a GPU's identity across processes, whatever
// CUDA_VISIBLE_DEVICES each one was given.
std::string gpu_identity(int device) {
  char bus[64] = {};
  if (cudaDeviceGetPCIBusId(bus, static_cast<int>(sizeof bus), device) != cudaSuccess) {
    std::snprintf(bus, sizeof bus, "device %d", device);
  }
  char host[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(host, &length);
  return std::string(bus) + " on " + std::string(host, static_cast<std::size_t>(length));
}

class NcclCommunicator final : public Communicator {
 public:
  NcclCommunicator(MPI_Comm comm, int device, void* stream)
      : stream_(static_cast<cudaStream_t>(stream)), rank_(comm_rank(comm)), size_(comm_size(comm)) {
    std::string error;
    int devices = 0;
    const cudaError_t e = cudaGetDeviceCount(&devices);
    if (e != cudaSuccess) {
      error = "rank " + std::to_string(rank_) + ": " + cuda_message(e, "cudaGetDeviceCount");
    } else if (devices == 0) {
      error = "rank " + std::to_string(rank_) + ": no CUDA device is visible";
    } else if (device < 0 || device >= devices) {
      error = "rank " + std::to_string(rank_) + ": device " + std::to_string(device) +
              " out of range (" + std::to_string(devices) + " visible)";
    } else if (const cudaError_t s = cudaSetDevice(device); s != cudaSuccess) {
      error = "rank " + std::to_string(rank_) + ": " + cuda_message(s, "cudaSetDevice");
    } else if (const cudaError_t m = cudaMalloc(&scratch_, sizeof(int)); m != cudaSuccess) {
      error = "rank " + std::to_string(rank_) + ": " + cuda_message(m, "cudaMalloc");
    }
    // A throwing constructor runs no destructor: release what this rank holds.
    try {
      agree_io(error, comm);
      agree_io(shared_gpu(comm, device), comm);
      ncclUniqueId id{};
      if (rank_ == 0) {
        const ncclResult_t r = ncclGetUniqueId(&id);
        if (r != ncclSuccess) error = nccl_message(r, "ncclGetUniqueId");
      }
      agree_io(error, comm);
      check_mpi(MPI_Bcast(&id, static_cast<int>(sizeof id), MPI_BYTE, 0, comm),
                "NCCL communicator: MPI_Bcast(unique id)");
      const ncclResult_t r = ncclCommInitRank(&comm_, size_, id, rank_);
      if (r != ncclSuccess) {
        comm_ = nullptr;
        error = "rank " + std::to_string(rank_) + ": " + nccl_message(r, "ncclCommInitRank");
      }
      agree_io(error, comm);
    } catch (...) {
      release();
      throw;
    }
  }

  ~NcclCommunicator() override { release(); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* backend() const override { return "nccl"; }
  bool device_buffers() const override { return true; }

  void allreduce_sum(void* data, std::size_t count, DType type) override {
    check_nccl(ncclAllReduce(data, data, count, nccl_type(type), ncclSum, comm_, stream_),
               "ncclAllReduce");
  }

  void broadcast(void* data, std::size_t count, DType type, int root) override {
    check_nccl(ncclBroadcast(data, data, count, nccl_type(type), root, comm_, stream_),
               "ncclBroadcast");
  }

  void barrier() override {
    // A one-element all-reduce completes only once every rank has joined it.
    allreduce_sum(scratch_, 1, DType::i32);
    synchronize();
  }

  void synchronize() override {
    check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize");
    ncclResult_t async = ncclSuccess;
    check_nccl(ncclCommGetAsyncError(comm_, &async), "ncclCommGetAsyncError");
    check_nccl(async, "NCCL asynchronous error");
  }

 private:
  void release() noexcept {
    if (comm_) ncclCommDestroy(comm_);
    comm_ = nullptr;
    if (scratch_) cudaFree(scratch_);
    scratch_ = nullptr;
  }

  ncclComm_t comm_ = nullptr;
  cudaStream_t stream_ = nullptr;
  void* scratch_ = nullptr;
  int rank_ = 0, size_ = 1;
};

}  // namespace

std::string shared_gpu(MPI_Comm comm, int cuda_device) {
  constexpr int kWidth = 256;
  std::string mine = gpu_identity(cuda_device);
  mine.resize(kWidth, '\0');
  const int size = comm_size(comm);
  std::vector<char> all(static_cast<std::size_t>(kWidth) * static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(mine.data(), kWidth, MPI_CHAR, all.data(), kWidth, MPI_CHAR, comm),
            "shared_gpu: MPI_Allgather");
  std::map<std::string, int> first_rank;
  for (int r = 0; r < size; ++r) {
    const char* slot = all.data() + static_cast<std::size_t>(r) * kWidth;
    const std::string id(slot, strnlen(slot, kWidth));  // a long host name fills the slot
    const auto [it, fresh] = first_rank.emplace(id, r);
    if (!fresh) {
      return "ranks " + std::to_string(it->second) + " and " + std::to_string(r) +
             " of one run group share GPU " + id + "; NCCL needs a GPU per rank: set "
             "parallel.ranks_per_run to at most the GPUs of a node, or parallel.backend: mpi";
    }
  }
  return {};
}

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, int cuda_device, void* stream) {
  return std::make_unique<NcclCommunicator>(comm, cuda_device, stream);
}

}  // namespace cp
