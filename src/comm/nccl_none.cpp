// The NCCL entry points of a build without CUDA and NCCL (compiled instead of
// nccl_communicator.cpp, into the training module like it).
#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

std::string shared_gpu(MPI_Comm, int) { return {}; }

std::unique_ptr<Communicator> make_nccl_communicator(MPI_Comm, int, void*) {
  throw ConfigError(
      "parallel.backend: nccl: this build has no NCCL backend (CUDA runtime and NCCL were not "
      "found at configure time, or CLUSTERPROBE_WITH_NCCL=OFF)");
}

}  // namespace cp
