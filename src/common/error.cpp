#include "clusterprobe/common/error.hpp"

#include <cstring>

namespace cp::detail {

std::string where(const char* file, int line) {
  // Keep only the path below src/ or include/: absolute build paths are noise.
  const char* tail = std::strstr(file, "src/");
  if (!tail) tail = std::strstr(file, "include/");
  return std::string(tail ? tail : file) + ":" + std::to_string(line) + ": ";
}

}  // namespace cp::detail
