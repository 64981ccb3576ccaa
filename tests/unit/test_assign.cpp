#include <gtest/gtest.h>

#include "clusterprobe/sched/assign.hpp"
#include "clusterprobe/sched/claim.hpp"

namespace cp {
namespace {

TEST(AssignLpt, BalancesSkewedCostsAndIsDeterministic) {
  // One task as expensive as all the others together: it gets a worker alone.
  const std::vector<double> costs{1, 1, 1, 1, 4, 1, 1, 1, 1};
  const auto owner = assign_lpt(costs, 2);
  std::vector<double> load(2, 0);
  for (std::size_t i = 0; i < costs.size(); ++i) load[static_cast<std::size_t>(owner[i])] += costs[i];
  EXPECT_EQ(load[0], 6);
  EXPECT_EQ(load[1], 6);
  EXPECT_EQ(owner[4], 0);  // the most expensive task is placed first, on worker 0
  EXPECT_EQ(owner, assign_lpt(costs, 2));
}

TEST(AssignLpt, MoreWorkersThanTasks) {
  const auto owner = assign_lpt({3, 2}, 4);
  EXPECT_EQ(owner, (std::vector<int>{0, 1}));
  EXPECT_TRUE(assign_lpt({}, 3).empty());
}

TEST(AssignLpt, FillsAroundInitialLoads) {
  // Worker 0 already carries 6 (a share of a big item): the small tasks go to the others first.
  const auto owner = assign_lpt({2, 2, 2, 1}, std::vector<double>{6, 0, 0});
  EXPECT_EQ(owner, (std::vector<int>{1, 2, 1, 2}));
}

TEST(CostOrder, MostExpensiveFirstTiesByIndex) {
  // Runs whose costs differ by 10x: the expensive ones are claimed first.
  const std::vector<double> costs{1, 10, 1, 10, 5};
  EXPECT_EQ(cost_order(costs), (std::vector<std::size_t>{1, 3, 4, 0, 2}));
  EXPECT_TRUE(cost_order({}).empty());
}

}  // namespace
}  // namespace cp
