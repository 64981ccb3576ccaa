#include "clusterprobe/common/node_memory.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace cp {
namespace {

namespace fs = std::filesystem;

void take(NodeMemory& m, std::int64_t bytes, const std::string& source) {
  if (bytes > 0 && bytes < m.bytes) m = {bytes, source};
}

// cgroup v2: "0::/path" in /proc/self/cgroup; "max" means no limit there.
void take_cgroup_limits(NodeMemory& m) {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) != 0) continue;
    for (fs::path dir = line.substr(3); !dir.empty() && dir != "/"; dir = dir.parent_path()) {
      std::ifstream limit(fs::path("/sys/fs/cgroup") / dir.relative_path() / "memory.max");
      std::string value;
      if (limit >> value && value != "max") take(m, std::atoll(value.c_str()), "cgroup " + dir.string());
    }
  }
}

}  // namespace

NodeMemory node_memory() {
  NodeMemory m{static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<std::int64_t>(::sysconf(_SC_PAGE_SIZE)),
               "physical memory"};
  if (const char* slurm = std::getenv("SLURM_MEM_PER_NODE"))
    take(m, std::atoll(slurm) * std::int64_t{1024} * 1024, "SLURM_MEM_PER_NODE");
  take_cgroup_limits(m);
  return m;
}

}  // namespace cp
