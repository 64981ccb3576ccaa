#pragma once
// Who clusters which item of the cluster stage. Every rank computes the same
// schedule from the same item list, so no communication is needed.
//
// An item too large for one rank (a "big" item) is clustered by a group of
// consecutive ranks together, each holding its block of rows. The groups
// share the big items by cost, largest first, while the other groups do
// theirs; a group has enough ranks that none holds more than the limit, and
// the most demanding big item sets the size. Ranks past the last whole group
// join it. The other items go to single ranks around each rank's share of
// its group's big items.
#include <cstdint>
#include <vector>

namespace cp {

/// What the schedule needs of one item.
struct ItemDemand {
  double cost = 0;             ///< relative cost (rows x columns)
  bool big = false;            ///< above the limit on one rank
  std::int64_t together = 0;   ///< big items: bytes over all the ranks of the group together
};

struct ItemSchedule {
  int world = 1, group_size = 1, groups = 1;
  std::vector<int> group;  ///< each item's group (big items), else -1
  std::vector<int> owner;  ///< each item's rank (small items), else -1

  int group_of_rank(int rank) const;
  /// Ranks in `group` (the last one also holds the ranks past the whole groups).
  int ranks_in(int group) const;
};

/// Local. The schedule of `items` over `world` ranks when one rank may hold
/// `limit` bytes of an item. Requires world >= 1.
ItemSchedule schedule_items(const std::vector<ItemDemand>& items, std::int64_t limit, int world);

}  // namespace cp
