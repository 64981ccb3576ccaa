// node_memory: Slurm's per-node allocation caps what `auto` divides among a
// node's ranks; without one, the physical memory (or a cgroup's limit) does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>

#include "clusterprobe/common/node_memory.hpp"

namespace {

std::int64_t physical() { return static_cast<std::int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGE_SIZE); }

}  // namespace

TEST(NodeMemory, SlurmsAllocationCapsThePhysicalMemory) {
  ::unsetenv("SLURM_MEM_PER_NODE");
  const auto unset = cp::node_memory();
  EXPECT_GT(unset.bytes, 0);
  EXPECT_LE(unset.bytes, physical());
  EXPECT_NE(unset.source, "SLURM_MEM_PER_NODE");
  ::setenv("SLURM_MEM_PER_NODE", "1500", 1);  // MiB, as Slurm gives it
  const auto slurm = cp::node_memory();
  EXPECT_EQ(slurm.bytes, std::min<std::int64_t>(unset.bytes, 1500LL * 1024 * 1024));
  if (unset.bytes > 1500LL * 1024 * 1024) {
    EXPECT_EQ(slurm.source, "SLURM_MEM_PER_NODE");
  }
  // 0 (no --mem) and junk leave the other limits.
  ::setenv("SLURM_MEM_PER_NODE", "0", 1);
  EXPECT_EQ(cp::node_memory().bytes, unset.bytes);
  ::setenv("SLURM_MEM_PER_NODE", "lots", 1);
  EXPECT_EQ(cp::node_memory().bytes, unset.bytes);
  ::unsetenv("SLURM_MEM_PER_NODE");
}
