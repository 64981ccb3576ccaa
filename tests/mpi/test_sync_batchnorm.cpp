// ranks: 2 4
// SyncBatchNorm against LibTorch's BatchNorm: on one rank it must be the same
// layer (forward, input and parameter gradients, running statistics); over a
// group of ranks each holding a shard, the same as one rank holding it all.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/train/data_parallel.hpp"
#include "clusterprobe/train/sync_batchnorm.hpp"

namespace cp {
namespace {

struct Result {
  torch::Tensor y, dx, dw, db, running_mean, running_var;
};

// Forward + backward of a freshly built BatchNorm2d (optionally swapped for
// SyncBatchNorm over `comm`) on rows [lo, hi) of x; the loss weights each
// output by a fixed pattern so the gradients are not trivial.
Result run_layer(const torch::Tensor& x_all, std::int64_t lo, std::int64_t hi, Communicator* comm) {
  torch::manual_seed(0);
  torch::nn::Sequential seq(torch::nn::BatchNorm2d(3));
  {
    torch::NoGradGuard g;
    auto bn = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(seq->ptr(0));
    bn->weight.uniform_(0.5, 1.5);
    bn->bias.uniform_(-0.5, 0.5);
  }
  if (comm) {
    EXPECT_EQ(convert_sync_batchnorm(*seq, *comm), 1);
  }
  auto x = x_all.slice(0, lo, hi).clone().requires_grad_(true);
  auto y = seq->forward(x);
  // The pattern belongs to the global batch: a shard takes its rows of it.
  auto pattern = torch::linspace(-1, 2, x_all.numel()).view(x_all.sizes()).slice(0, lo, hi);
  (y * y * pattern).sum().backward();
  auto params = seq->parameters();
  auto buffers = seq->buffers();
  return {y.detach(), x.grad(), params[0].grad().clone(), params[1].grad().clone(),
          buffers[0].clone(), buffers[1].clone()};
}

double rel(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).abs().max() / b.abs().max().clamp_min(1e-12)).item<double>();
}

TEST(SyncBatchNorm, OneRankIsLibTorchBatchNorm) {
  auto self = make_mpi_communicator(MPI_COMM_SELF);
  torch::manual_seed(1);
  const auto x = torch::randn({8, 3, 5, 5}) * 2 + 3;  // |mean| > std: the variance must not cancel
  const auto ref = run_layer(x, 0, 8, nullptr);
  const auto got = run_layer(x, 0, 8, self.get());
  EXPECT_LE(rel(got.y, ref.y), 1e-5);
  EXPECT_LE(rel(got.dx, ref.dx), 1e-5);
  EXPECT_LE(rel(got.dw, ref.dw), 1e-5);
  EXPECT_LE(rel(got.db, ref.db), 1e-5);
  EXPECT_LE(rel(got.running_mean, ref.running_mean), 1e-6);
  EXPECT_LE(rel(got.running_var, ref.running_var), 1e-6);
}

TEST(SyncBatchNorm, ShardsOverTheGroupAreOneBatch) {
  auto comm = make_mpi_communicator(MPI_COMM_WORLD);
  const int rank = comm->rank(), size = comm->size();
  torch::manual_seed(2);
  const auto x = torch::randn({7, 3, 4, 4}) - 1;
  const auto ref = run_layer(x, 0, 7, nullptr);
  const auto [lo, hi] = shard_range(7, rank, size);
  auto got = run_layer(x, lo, hi, comm.get());
  EXPECT_LE(rel(got.y, ref.y.slice(0, lo, hi)), 1e-5);
  EXPECT_LE(rel(got.dx, ref.dx.slice(0, lo, hi)), 1e-5);
  // Parameter gradients are per-rank contributions; their sum is the batch's.
  allreduce_sum(*comm, {got.dw, got.db});
  EXPECT_LE(rel(got.dw, ref.dw), 1e-5);
  EXPECT_LE(rel(got.db, ref.db), 1e-5);
  EXPECT_LE(rel(got.running_mean, ref.running_mean), 1e-6);
  EXPECT_LE(rel(got.running_var, ref.running_var), 1e-6);
}

}  // namespace
}  // namespace cp
