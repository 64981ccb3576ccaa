#pragma once
// The training code is the only part of ClusterProbe that needs LibTorch, and
// Debian's LibTorch costs most of a second and 120 MB to load, and maps
// OpenCV, GDAL, NetCDF and a serial HDF5 next to the parallel one. So it is
// built as a module, libclusterprobe_train.so, that the core library loads
// the first time a command trains: plan, cluster, report, analyze, status,
// slurm and version never map LibTorch. The module's entry points are plain
// function pointers over the torch-free types of trainer.hpp.
#include <mpi.h>

#include <cstddef>
#include <string>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/train/trainer.hpp"

namespace cp {

struct TrainerModule {
  /// What the module was built against; the loader refuses a module whose
  /// version or exchanged types differ from the core library's.
  const char* version;
  std::size_t abi;
  /// The LibTorch it runs on (TORCH_VERSION).
  const char* torch_version;
  ExecutionPlan (*plan_execution)(const TrainConfig&, const ParallelConfig&, int local_rank);
  TrainOutcome (*train_run)(const RunSpec&, const Dataset&, const std::string& run_dir, MPI_Comm comm,
                            const TrainOptions&, const std::string& init_checkpoint,
                            const std::vector<SharedAnalysis>& analyses);
  std::string (*shared_gpu)(MPI_Comm comm, int cuda_device);
};

/// The sizes of the types passed to the module, mixed: a module built from
/// other headers does not match. Inline: each side computes its own view.
inline std::size_t trainer_abi() {
  std::size_t h = 0;
  for (std::size_t s : {sizeof(RunSpec), sizeof(Dataset), sizeof(TrainOptions), sizeof(TrainOutcome), sizeof(SharedAnalysis),
                        sizeof(ExecutionPlan), sizeof(TrainConfig), sizeof(ParallelConfig)})
    h = h * 1000003u + s;
  return h;
}

/// Local, thread-safe. The training module, loaded on the first call from the
/// directory of the core library (or from CLUSTERPROBE_TRAIN_MODULE when set).
/// Throws Error (internal, exit 1) naming the file and the loader's reason
/// when it cannot be loaded or was built from another version.
const TrainerModule& trainer_module();

}  // namespace cp

/// The module's one exported symbol.
extern "C" const cp::TrainerModule* clusterprobe_trainer_module();
