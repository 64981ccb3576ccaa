#pragma once
// Which shared libraries this process runs on: `clusterprobe version` prints
// them, and the tests check that commands which do not train never map
// LibTorch and that HDF5 calls go to the parallel HDF5 alone.
#include <string>
#include <vector>

namespace cp {

/// Local. The file holding the code at `address` (dladdr), empty if none.
std::string library_of(const void* address);

/// Local. The shared libraries mapped into this process (/proc/self/maps),
/// each path once, in the order first mapped.
std::vector<std::string> mapped_libraries();

/// Local. Those of mapped_libraries() whose file name starts with `stem`
/// (e.g. "libhdf5", "libtorch").
std::vector<std::string> mapped_libraries(const std::string& stem);

}  // namespace cp
