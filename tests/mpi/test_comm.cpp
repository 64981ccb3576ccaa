// ranks: 2 4
// The Communicator (MPI backend, raw buffers and bucketed tensor lists), rank
// groups, the one-sided run counter, and clean failures of the NCCL backend
// and of impossible device/backend choices on a machine without a GPU.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <numeric>
#include <set>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/sched/claim.hpp"
#include "clusterprobe/train/data_parallel.hpp"
#include "clusterprobe/train/trainer.hpp"

namespace cp {
namespace {

TEST(MpiCommunicator, AllreduceBroadcastBarrierOnRawBuffers) {
  const int rank = comm_rank(MPI_COMM_WORLD), size = comm_size(MPI_COMM_WORLD);
  auto comm = make_mpi_communicator(MPI_COMM_WORLD);
  EXPECT_EQ(comm->rank(), rank);
  EXPECT_EQ(comm->size(), size);
  EXPECT_STREQ(comm->backend(), "mpi");
  EXPECT_FALSE(comm->device_buffers());

  std::vector<float> f{1.0f * rank, 2.0f};
  std::vector<double> d{0.5 * rank};
  std::vector<std::int64_t> i{rank, 1};
  comm->allreduce_sum(f.data(), f.size(), DType::f32);
  comm->allreduce_sum(d.data(), d.size(), DType::f64);
  comm->allreduce_sum(i.data(), i.size(), DType::i64);
  const int ranks_sum = size * (size - 1) / 2;
  EXPECT_EQ(f[0], static_cast<float>(ranks_sum));
  EXPECT_EQ(f[1], 2.0f * size);
  EXPECT_EQ(d[0], 0.5 * ranks_sum);
  EXPECT_EQ(i[0], ranks_sum);
  EXPECT_EQ(i[1], size);

  std::vector<std::int32_t> b{rank, 10 * rank};
  comm->broadcast(b.data(), b.size(), DType::i32, size - 1);
  EXPECT_EQ(b, (std::vector<std::int32_t>{size - 1, 10 * (size - 1)}));
  comm->barrier();
  comm->synchronize();
}

TEST(MpiCommunicator, BucketedTensorListsOfMixedTypes) {
  const int rank = comm_rank(MPI_COMM_WORLD), size = comm_size(MPI_COMM_WORLD);
  auto comm = make_mpi_communicator(MPI_COMM_WORLD);
  // 64-byte buckets force several buckets, a tensor larger than a bucket,
  // dtype changes inside the list and a non-contiguous tensor.
  std::vector<torch::Tensor> tensors{
      torch::full({3}, rank + 1.0f), torch::full({2, 40}, 1.0f), torch::full({4}, rank, torch::kLong),
      torch::full({5}, 0.25, torch::kDouble), torch::full({6, 2}, 1.0f).t()};
  allreduce_sum(*comm, tensors, 64);
  EXPECT_TRUE(tensors[0].equal(torch::full({3}, size * (size + 1) / 2.0f)));
  EXPECT_TRUE(tensors[1].equal(torch::full({2, 40}, static_cast<float>(size))));
  EXPECT_TRUE(tensors[2].equal(torch::full({4}, size * (size - 1) / 2, torch::kLong)));
  EXPECT_TRUE(tensors[3].equal(torch::full({5}, 0.25 * size, torch::kDouble)));
  EXPECT_TRUE(tensors[4].equal(torch::full({2, 6}, static_cast<float>(size))));

  std::vector<torch::Tensor> mine{torch::full({7}, static_cast<float>(rank)),
                                  torch::full({2}, rank, torch::kLong)};
  broadcast(*comm, mine, 0, 16);
  EXPECT_TRUE(mine[0].equal(torch::zeros({7})));
  EXPECT_TRUE(mine[1].equal(torch::zeros({2}, torch::kLong)));
}

TEST(ShardRange, ContiguousDisjointCovering) {
  for (std::int64_t n : {0, 1, 7, 33}) {
    std::int64_t next = 0;
    for (int r = 0; r < 4; ++r) {
      const auto [lo, hi] = shard_range(n, r, 4);
      EXPECT_EQ(lo, next);
      EXPECT_LE(hi - lo, n / 4 + 1);
      next = hi;
    }
    EXPECT_EQ(next, n);
  }
}

TEST(RankGroups, ConsecutiveBlocksWithLeaders) {
  const int rank = comm_rank(MPI_COMM_WORLD), size = comm_size(MPI_COMM_WORLD);
  for (int per : {1, 2, 3}) {
    RankGroups g(MPI_COMM_WORLD, per);
    const int eff = std::min(per, size);
    EXPECT_EQ(g.group_index(), rank / eff);
    EXPECT_EQ(g.num_groups(), (size + eff - 1) / eff);
    EXPECT_EQ(g.group_rank(), rank % eff);
    EXPECT_EQ(g.group_size(), std::min(eff, size - (rank / eff) * eff));
    EXPECT_EQ(g.is_leader(), rank % eff == 0);
    EXPECT_EQ(g.leaders() != MPI_COMM_NULL, g.is_leader());
    if (g.is_leader()) {
      EXPECT_EQ(comm_size(g.leaders()), g.num_groups());
    }
  }
}

TEST(RunCounter, EveryValueClaimedExactlyOnce) {
  constexpr std::int64_t kRuns = 40;
  std::vector<std::int64_t> mine;
  {
    RunCounter counter(MPI_COMM_WORLD);
    for (std::int64_t v; (v = counter.fetch_add()) < kRuns;) mine.push_back(v);
  }
  std::string bytes(reinterpret_cast<const char*>(mine.data()), mine.size() * sizeof(std::int64_t));
  const auto all = gather_bytes(bytes, MPI_COMM_WORLD, 0);
  if (comm_rank(MPI_COMM_WORLD) != 0) return;
  std::multiset<std::int64_t> seen;
  for (const auto& part : all) {
    const auto* v = reinterpret_cast<const std::int64_t*>(part.data());
    seen.insert(v, v + part.size() / sizeof(std::int64_t));
  }
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kRuns));
  for (std::int64_t v = 0; v < kRuns; ++v) EXPECT_EQ(seen.count(v), 1u) << v;
}

TEST(RunCounter, StatesAreSeenByEveryRank) {
  // The last rank "trains" run 0 and then publishes its state; every other
  // rank polls until it sees it, as a run waits for its pretraining run.
  const int rank = comm_rank(MPI_COMM_WORLD), size = comm_size(MPI_COMM_WORLD);
  RunCounter counter(MPI_COMM_WORLD, 3);
  EXPECT_EQ(counter.state(0), RunState::unknown);
  MPI_Barrier(MPI_COMM_WORLD);  // nobody publishes before everyone has read "unknown"
  if (rank == size - 1) {
    counter.set_state(0, RunState::running);
    counter.set_state(2, RunState::failed);
    counter.set_state(0, RunState::complete);
  } else {
    int polls = 0;
    while (counter.state(0) != RunState::complete) ASSERT_LT(++polls, 10000000);
    EXPECT_EQ(counter.state(2), RunState::failed);  // published before run 0's final state
  }
  EXPECT_EQ(counter.state(1), RunState::unknown);
  std::vector<std::size_t> order = cost_order({1.0, 5.0, 3.0, 9.0}, {false, true, true, false});
  EXPECT_EQ(order, (std::vector<std::size_t>{1, 2, 3, 0}));  // pretraining runs first, then by cost
}

TEST(NcclCommunicator, FailsCleanlyOnEveryRankWithoutAGpu) {
  if (!nccl_compiled()) {
    EXPECT_THROW(make_nccl_communicator(MPI_COMM_WORLD, 0), ConfigError);
    return;
  }
  std::string message;
  try {
    auto comm = make_nccl_communicator(MPI_COMM_WORLD, 0);
    comm->barrier();
  } catch (const IoError& e) {
    message = e.what();
  }
  // Collective failure: all ranks or none.
  const bool any = any_of(!message.empty(), MPI_COMM_WORLD);
  EXPECT_EQ(any, !message.empty());
  if (message.empty()) GTEST_SKIP() << "(not installable) a GPU is present: the NCCL group worked";
  EXPECT_NE(message.find("NCCL communicator"), std::string::npos) << message;
  std::printf("[ nccl ] %s\n", message.c_str());
}

TEST(PlanExecution, ImpossibleDeviceAndBackendChoicesAreConfigErrors) {
  TrainConfig train;
  ParallelConfig parallel;
  train.device = "cpu";
  parallel.backend = "nccl";
  EXPECT_THROW(plan_execution(train, parallel, 0), ConfigError);
  parallel.backend = "auto";
  const auto plan = plan_execution(train, parallel, 0);
  EXPECT_EQ(plan.device, "cpu");
  EXPECT_EQ(plan.backend, "mpi");
  if (!torch::cuda::is_available()) {
    train.device = "cuda";
    EXPECT_THROW(plan_execution(train, parallel, 0), ConfigError);
    train.device = "auto";
    EXPECT_EQ(plan_execution(train, parallel, 0).device, "cpu");
  }
}

}  // namespace
}  // namespace cp
