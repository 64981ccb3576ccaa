#pragma once
// How much memory this process may use on its node: what `cluster.max_item_memory:
// auto` divides among the node's ranks. A batch job rarely owns the whole
// machine: Slurm tells it its share (SLURM_MEM_PER_NODE) and enforces it with a
// cgroup, so the physical memory alone would overcommit a shared node.
#include <cstdint>
#include <string>

namespace cp {

struct NodeMemory {
  std::int64_t bytes = 0;  ///< the smallest of the limits found
  std::string source;      ///< which one: "physical memory", "SLURM_MEM_PER_NODE", "cgroup <path>"
};

/// Local. The smallest of: the physical memory (sysconf), Slurm's per-node
/// allocation (SLURM_MEM_PER_NODE, MiB, when set and > 0), and the memory.max
/// of this process's cgroup (v2) and of each cgroup above it.
NodeMemory node_memory();

}  // namespace cp
