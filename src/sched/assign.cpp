#include "clusterprobe/sched/assign.hpp"

#include <algorithm>
#include <numeric>

#include "clusterprobe/common/error.hpp"

namespace cp {

std::vector<int> assign_lpt(const std::vector<double>& costs, int workers) {
  CP_ASSERT(workers >= 1, "assign_lpt needs at least one worker");
  return assign_lpt(costs, std::vector<double>(static_cast<std::size_t>(workers), 0.0));
}

std::vector<int> assign_lpt(const std::vector<double>& costs, std::vector<double> load) {
  CP_ASSERT(!load.empty(), "assign_lpt needs at least one worker");
  std::vector<std::size_t> order(costs.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return costs[a] > costs[b]; });
  std::vector<int> owner(costs.size(), 0);
  for (auto task : order) {
    const auto w = std::min_element(load.begin(), load.end()) - load.begin();
    owner[task] = static_cast<int>(w);
    load[static_cast<std::size_t>(w)] += costs[task];
  }
  return owner;
}

}  // namespace cp
