#pragma once
// The narrow collective interface data-parallel training needs: in-place sum
// all-reduce, broadcast, barrier (c10d's Backend has ~20 collectives; we need
// three). Buffers are raw pointers + element counts + a dtype, so this header
// and both backends stay free of LibTorch; src/train adapts tensor lists.
//
// Backends:
//   mpi   host memory, MPI_Allreduce(MPI_IN_PLACE) on a duplicate of the group's
//         communicator; blocking (the buffer is reduced when the call returns).
//   nccl  device memory, ncclAllReduce/ncclBroadcast enqueued on a CUDA stream:
//         stream-ordered, so work queued later on the same stream sees the
//         result; call synchronize() before reading it from the host.
#include <mpi.h>

#include <cstddef>
#include <memory>
#include <string>

namespace cp {

/// Element types the collectives move.
enum class DType { f32, f64, i32, i64 };

/// Local. Bytes of one element.
std::size_t dtype_size(DType type);

class Communicator {
 public:
  virtual ~Communicator() = default;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  /// Local. This rank in the group, and the group's size.
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// Local. "mpi" or "nccl".
  virtual const char* backend() const = 0;
  /// Local. True when buffers must be device (GPU) memory, false for host memory.
  virtual bool device_buffers() const = 0;

  /// Collective over the group. Replaces `count` elements at `data` by their
  /// elementwise sum over all ranks. REQUIRES: same count and type everywhere.
  virtual void allreduce_sum(void* data, std::size_t count, DType type) = 0;
  /// Collective over the group. Copies `root`'s `count` elements at `data` to
  /// every rank's `data`.
  virtual void broadcast(void* data, std::size_t count, DType type, int root) = 0;
  /// Collective over the group. Returns on each rank once every rank has
  /// entered it and this rank's queued collectives have finished.
  virtual void barrier() = 0;
  /// Local. Waits for the collectives this rank has queued (no-op for MPI,
  /// whose calls are blocking; NCCL: stream synchronise + async error check).
  virtual void synchronize() = 0;

 protected:
  Communicator() = default;
};

/// Collective over `comm`. An MPI communicator on a duplicate of `comm` (so its
/// messages never match anyone else's), with MPI_ERRORS_RETURN; every failure
/// throws IoError naming the call and MPI's error string.
std::unique_ptr<Communicator> make_mpi_communicator(MPI_Comm comm);

/// Local. Whether this build has the NCCL backend (CUDA runtime + NCCL found).
bool nccl_compiled();

/// Collective over `comm`. Empty when every rank of `comm` drives a different
/// GPU (told apart by host name and the PCI bus id of `cuda_device`);
/// otherwise the same message on every rank, naming two ranks that share one
/// (NCCL refuses such a group). Empty in a build without the NCCL backend.
/// Defined in the training module (train/module.hpp), like
/// make_nccl_communicator: the core reaches it through TrainerModule.
std::string shared_gpu(MPI_Comm comm, int cuda_device);

/// Collective over `comm`. An NCCL communicator over the ranks of `comm` on
/// CUDA device `cuda_device`: rank 0 makes the unique id, MPI_Bcast sends it,
/// ncclCommInitRank joins. `stream` is a cudaStream_t (nullptr: the legacy
/// default stream, which is the one LibTorch uses unless a stream guard says
/// otherwise). Device problems (no GPU, a CUDA driver older than the runtime,
/// two ranks on one GPU) are agreed on first, so every rank throws the same
/// IoError together.
/// Throws ConfigError when the build has no NCCL backend.
std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm comm, int cuda_device,
                                                     void* stream = nullptr);

}  // namespace cp
