// Who scores which item of the cluster stage (sched/item_schedule.hpp).
#include <gtest/gtest.h>

#include "clusterprobe/sched/item_schedule.hpp"

namespace cp {
namespace {

ItemDemand small(double cost) { return {cost, false, 0}; }
ItemDemand big(double cost, std::int64_t together) { return {cost, true, together}; }

TEST(ItemSchedule, SmallItemsOnlyGoToSingleRanksLargestFirst) {
  const auto s = schedule_items({small(1), small(5), small(3), small(4)}, 100, 2);
  EXPECT_EQ(s.group_size, 1);
  EXPECT_EQ(s.groups, 2);
  for (int g : s.group) EXPECT_EQ(g, -1);
  // LPT: 5 -> rank 0, 4 -> rank 1, 3 -> rank 1 (4 < 5), 1 -> rank 0 (5 < 7).
  EXPECT_EQ(s.owner, (std::vector<int>{0, 0, 1, 1}));
}

TEST(ItemSchedule, TheMostDemandingBigItemSetsTheGroupSize) {
  // 250 bytes over ranks that may hold 100 each: groups of 3; 7 ranks make
  // two groups, the second of 4 (the rank past the whole groups joins it).
  const auto s = schedule_items({big(10, 150), big(20, 250), small(1)}, 100, 7);
  EXPECT_EQ(s.group_size, 3);
  EXPECT_EQ(s.groups, 2);
  EXPECT_EQ(s.ranks_in(0), 3);
  EXPECT_EQ(s.ranks_in(1), 4);
  EXPECT_EQ(s.group_of_rank(2), 0);
  EXPECT_EQ(s.group_of_rank(6), 1);
  EXPECT_EQ(s.group[1], 0);  // the costlier first, to the first group
  EXPECT_EQ(s.group[0], 1);
  EXPECT_EQ(s.group[2], -1);
  EXPECT_EQ(s.owner[0], -1);
  EXPECT_EQ(s.owner[1], -1);
  // Group 1's ranks carry 10 / 4 each, group 0's 20 / 3: the small item goes to rank 3.
  EXPECT_EQ(s.owner[2], 3);
}

TEST(ItemSchedule, AGroupNeverHasMoreRanksThanTheWorld) {
  const auto s = schedule_items({big(1, 1000)}, 10, 2);
  EXPECT_EQ(s.group_size, 2);
  EXPECT_EQ(s.groups, 1);
  EXPECT_EQ(s.group[0], 0);
}

}  // namespace
}  // namespace cp
