// `clusterprobe version`: what this build runs on, read from the process
// itself, so a user (and the tests) see which HDF5 the calls really reach.
#include <hdf5.h>
#include <mpi.h>

#include <ostream>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/common/libraries.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/train/module.hpp"

namespace cp {

namespace {

std::string listed(const std::vector<std::string>& items) { return items.empty() ? "none" : joined(items); }

}  // namespace

void print_versions(std::ostream& out, bool load_trainer) {
  out << "ClusterProbe " CLUSTERPROBE_VERSION " (" CLUSTERPROBE_BUILD_TYPE " build; NCCL backend: "
      << (CLUSTERPROBE_HAS_NCCL ? "yes" : "no") << ")\n";
  unsigned major = 0, minor = 0, release = 0;
  H5get_libversion(&major, &minor, &release);
  // The file holding the MPI-IO driver is the HDF5 every call goes to (the
  // symbols are versioned, so a second HDF5 mapped by LibTorch cannot take them).
  out << "HDF5 " << major << '.' << minor << '.' << release << ", parallel, calls go to "
      << library_of(reinterpret_cast<const void*>(&H5Pset_fapl_mpio)) << "\n";
  char mpi[MPI_MAX_LIBRARY_VERSION_STRING] = {};
  int length = 0;
  MPI_Get_library_version(mpi, &length);
  std::string mpi_line(mpi, static_cast<std::size_t>(length));
  out << "MPI: " << mpi_line.substr(0, mpi_line.find_first_of(",\n")) << "\n";
  if (load_trainer) {
    const TrainerModule& module = trainer_module();
    out << "training module: " << library_of(reinterpret_cast<const void*>(module.train_run)) << " (LibTorch "
        << module.torch_version << ")\n";
  } else {
    out << "training module: not loaded (train and run load it; --trainer shows it)\n";
  }
  out << "HDF5 libraries mapped: " << listed(mapped_libraries("libhdf5")) << "\n";
  out << "LibTorch mapped: " << listed(mapped_libraries("libtorch")) << "\n";
}

}  // namespace cp
