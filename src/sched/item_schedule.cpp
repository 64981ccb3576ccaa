#include "clusterprobe/sched/item_schedule.hpp"

#include <algorithm>
#include <cmath>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/sched/assign.hpp"

namespace cp {

int ItemSchedule::group_of_rank(int rank) const { return std::min(rank / group_size, groups - 1); }

int ItemSchedule::ranks_in(int g) const { return g == groups - 1 ? world - group_size * (groups - 1) : group_size; }

ItemSchedule schedule_items(const std::vector<ItemDemand>& items, std::int64_t limit, int world) {
  CP_ASSERT(world >= 1, "schedule_items needs at least one rank");
  ItemSchedule s;
  s.world = world;
  s.group.assign(items.size(), -1);
  s.owner.assign(items.size(), -1);
  std::vector<std::size_t> big, small;
  std::vector<double> big_costs, small_costs;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const ItemDemand& d = items[i];
    if (!d.big) {
      small.push_back(i);
      small_costs.push_back(d.cost);
      continue;
    }
    big.push_back(i);
    big_costs.push_back(d.cost);
    const double ranks = std::ceil(static_cast<double>(d.together) / static_cast<double>(std::max<std::int64_t>(limit, 1)));
    s.group_size = std::max(s.group_size, static_cast<int>(std::min<double>(world, ranks)));
  }
  s.groups = std::max(1, world / s.group_size);
  const auto big_owner = assign_lpt(big_costs, s.groups);
  // Each rank's share of its group's big items, then the small ones around it.
  std::vector<double> load(static_cast<std::size_t>(world), 0.0);
  for (std::size_t j = 0; j < big.size(); ++j) {
    s.group[big[j]] = big_owner[j];
    for (int r = 0; r < world; ++r)
      if (s.group_of_rank(r) == big_owner[j])
        load[static_cast<std::size_t>(r)] += big_costs[j] / s.ranks_in(big_owner[j]);
  }
  const auto small_owner = assign_lpt(small_costs, load);
  for (std::size_t j = 0; j < small.size(); ++j) s.owner[small[j]] = small_owner[j];
  return s;
}

}  // namespace cp
