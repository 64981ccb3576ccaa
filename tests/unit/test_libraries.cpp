// One HDF5 in the process, and no LibTorch until something trains. This
// test links the core library only, as the CLI does; the training module is
// loaded at run time through trainer_module(), as `train` loads it.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <string>

#include "clusterprobe/common/libraries.hpp"
#include "clusterprobe/train/module.hpp"

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string hdf5_in_use() { return cp::library_of(reinterpret_cast<const void*>(&H5Fopen)); }

TEST(Libraries, OneParallelHdf5AndNoTorchBeforeTraining) {
  EXPECT_TRUE(contains(hdf5_in_use(), "libhdf5_openmpi")) << hdf5_in_use();
  const auto hdf5 = cp::mapped_libraries("libhdf5");
  ASSERT_EQ(hdf5.size(), 1u) << "more than one HDF5 mapped";
  EXPECT_TRUE(contains(hdf5[0], "libhdf5_openmpi")) << hdf5[0];
  EXPECT_TRUE(cp::mapped_libraries("libtorch").empty()) << cp::mapped_libraries("libtorch")[0];
}

// Debian's LibTorch needs OpenCV, which maps GDAL, NetCDF and the serial
// HDF5: they come with the module. Their symbols are versioned
// (HDF5_SERIAL_* against HDF5_MPI_*), so every call ours make still reaches
// the parallel library.
TEST(Libraries, TrainingModuleLoadsTorchAndKeepsTheParallelHdf5) {
  const cp::TrainerModule& module = cp::trainer_module();
  EXPECT_FALSE(cp::mapped_libraries("libtorch").empty());
  EXPECT_FALSE(std::string(module.torch_version).empty());
  EXPECT_TRUE(contains(cp::library_of(reinterpret_cast<const void*>(module.train_run)), "libclusterprobe_train"));
  EXPECT_TRUE(contains(hdf5_in_use(), "libhdf5_openmpi")) << hdf5_in_use();
  EXPECT_EQ(&cp::trainer_module(), &module) << "loaded twice";
}

}  // namespace
