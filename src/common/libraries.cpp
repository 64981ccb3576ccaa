#include "clusterprobe/common/libraries.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cp {

std::string library_of(const void* address) {
  Dl_info info{};
  if (dladdr(address, &info) == 0 || !info.dli_fname) return {};
  return info.dli_fname;
}

std::vector<std::string> mapped_libraries() {
  std::vector<std::string> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    // address perms offset dev inode path
    std::istringstream fields(line);
    std::string address, perms, offset, dev, inode, path;
    fields >> address >> perms >> offset >> dev >> inode >> path;
    if (path.empty() || path[0] != '/' || path.find(".so") == std::string::npos) continue;
    if (std::find(out.begin(), out.end(), path) == out.end()) out.push_back(path);
  }
  return out;
}

std::vector<std::string> mapped_libraries(const std::string& stem) {
  std::vector<std::string> out;
  for (auto& path : mapped_libraries())
    if (std::filesystem::path(path).filename().string().rfind(stem, 0) == 0) out.push_back(std::move(path));
  return out;
}

}  // namespace cp
