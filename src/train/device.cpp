// Device and backend selection for a run (train.device, parallel.backend).
#include <torch/torch.h>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/train/trainer.hpp"

namespace cp {

ExecutionPlan plan_execution(const TrainConfig& train, const ParallelConfig& parallel,
                             int local_rank) {
  ExecutionPlan plan;
  const bool gpu = torch::cuda::is_available();
  if (train.device == "cuda" && !gpu) {
    throw ConfigError(
        "train.device: cuda requested, but LibTorch sees no CUDA device (a CPU-only LibTorch, "
        "or no GPU visible to this rank); build against a CUDA LibTorch (README) or use "
        "train.device: cpu");
  }
  plan.device = (train.device == "cuda" || (train.device == "auto" && gpu)) ? "cuda" : "cpu";
  if (plan.device == "cuda") {
    // One rank per GPU when there are enough; otherwise ranks share GPUs round-robin.
    const int gpus = static_cast<int>(torch::cuda::device_count());
    plan.cuda_index = gpus > 0 ? local_rank % gpus : 0;
  }
  if (parallel.backend == "nccl") {
    if (plan.device != "cuda") {
      throw ConfigError("parallel.backend: nccl all-reduces CUDA tensors, but this run trains on the "
                        "CPU (train.device: " + train.device + "); use backend mpi or auto");
    }
    if (!nccl_compiled()) {
      throw ConfigError("parallel.backend: nccl, but this build has no NCCL backend (CUDA runtime "
                        "and NCCL not found at configure time); use backend mpi or auto");
    }
    plan.backend = "nccl";
  } else if (parallel.backend == "mpi") {
    plan.backend = "mpi";
  } else {
    plan.backend = plan.device == "cuda" && nccl_compiled() ? "nccl" : "mpi";
  }
  if (plan.device == "cuda" && plan.backend == "mpi" && train.sync_batchnorm &&
      parallel.ranks_per_run > 1) {
    throw ConfigError("train.sync_batchnorm on CUDA needs parallel.backend nccl: its backward "
                      "pass runs on LibTorch's device threads, where MPI may not be called");
  }
  return plan;
}

}  // namespace cp
