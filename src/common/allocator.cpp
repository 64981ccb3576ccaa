#include "clusterprobe/common/allocator.hpp"

#include <malloc.h>

#include <cstdlib>

namespace cp {

void tune_allocator() {
#if defined(__GLIBC__)
  if (!std::getenv("MALLOC_MMAP_THRESHOLD_")) mallopt(M_MMAP_THRESHOLD, 512 << 20);
  if (!std::getenv("MALLOC_TRIM_THRESHOLD_")) mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace cp
