// ranks: 2
// Data-parallel training over a group of 2 ranks against 1-rank training on
// the same global batch: equal parameters after >= 20 steps for layer, group
// and no normalization, and for BatchNorm with sync_batchnorm (without it,
// per-rank batch statistics make them differ, as with PyTorch DDP; the
// BatchNorm2d layer itself is checked in test_sync_batchnorm). A run
// stopped after 2 of 4 epochs and resumed from its checkpoint ends with the
// parameters of an uninterrupted run. Where LibTorch sees a GPU, the CUDA path
// through the NCCL backend is checked against the CPU (skipped elsewhere).
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/torch.h>

#include <filesystem>
#include <map>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/train/trainer.hpp"
#include "../support/group_scratch.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

using test::GroupScratch;

// 360 samples, global batch 33: 11 steps per epoch (the last one of 30, split
// 15/15; the others 16/17), 22 steps in 2 epochs.
RunSpec mlp_run(const std::string& norm, bool sync_bn) {
  RunSpec r;
  r.id = "dp-" + norm + (sync_bn ? "-sync" : "");
  r.dataset = "synthetic/gmm";
  r.architecture = "mlp";
  r.normalization = norm;
  r.pretraining = "none";
  r.seed = 3;
  r.train.epochs = 2;
  r.train.batch_size = 33;
  r.train.sync_batchnorm = sync_bn;
  r.data.synthetic_train_per_fine = 40;
  r.data.synthetic_test_per_fine = 10;
  r.resolved_yaml = r.id;
  return r;
}

TrainOptions options() {
  TrainOptions o;
  o.threads = 1;
  return o;
}

// Every parameter and buffer of a saved model, by name.
std::map<std::string, torch::Tensor> load_state(const fs::path& file, const RunSpec& run,
                                                const Dataset& data) {
  auto model = make_model({run.architecture, run.normalization, data.sample_shape,
                           static_cast<std::int64_t>(data.hierarchy.num_coarse())});
  torch::serialize::InputArchive archive;
  archive.load_from(file.string(), torch::Device(torch::kCPU));
  model->load(archive);
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters()) out[p.key()] = p.value().detach().clone();
  for (const auto& b : model->named_buffers()) out["buffer:" + b.key()] = b.value().detach().clone();
  return out;
}

// max over tensors of max|a - b| / max|b|: relative to each tensor's scale,
// so near-zero entries do not inflate it.
double max_relative_difference(const std::map<std::string, torch::Tensor>& a,
                               const std::map<std::string, torch::Tensor>& b, bool buffers) {
  double worst = 0;
  for (const auto& [name, ta] : a) {
    if (!buffers && name.rfind("buffer:", 0) == 0) continue;
    const auto& tb = b.at(name);
    if (!ta.is_floating_point()) {
      EXPECT_TRUE(ta.equal(tb)) << name;
      continue;
    }
    const double scale = std::max(tb.abs().max().item<double>(), 1e-12);
    worst = std::max(worst, (ta - tb).abs().max().item<double>() / scale);
  }
  return worst;
}

struct Comparison {
  double params = 0, buffers = 0;
};

// Rank 0 trains `one` alone, then both ranks train `two` together; returns
// (on rank 0) how far their final models are apart.
Comparison one_rank_vs_two(const RunSpec& one, const RunSpec& two, const std::string& name,
                           const TrainOptions& how = options()) {
  const auto data = load_dataset(one.dataset, one.data);
  const GroupScratch dir(MPI_COMM_WORLD, "dp-" + name);
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    const auto out = train_run(one, data, (dir / "one").string(), MPI_COMM_SELF, how);
    EXPECT_TRUE(out.ok) << out.message;
  }
  const auto out = train_run(two, data, (dir / "two").string(), MPI_COMM_WORLD, how);
  EXPECT_TRUE(out.ok) << out.message;
  Comparison c;
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    const auto a = load_state(dir / "one" / "checkpoint.pt", one, data);
    const auto b = load_state(dir / "two" / "checkpoint.pt", two, data);
    c.params = max_relative_difference(b, a, false);
    c.buffers = max_relative_difference(b, a, true);
    std::printf("[ %s ] max relative difference: parameters %.3g, with buffers %.3g\n",
                name.c_str(), c.params, c.buffers);
  }
  return c;
}

class DataParallel : public ::testing::TestWithParam<std::string> {};

TEST_P(DataParallel, TwoRanksMatchOneRankOnTheSameGlobalBatch) {
  const auto run = mlp_run(GetParam(), false);
  const auto c = one_rank_vs_two(run, run, "norm-" + GetParam());
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    EXPECT_LE(c.params, 1e-4);
    EXPECT_LE(c.buffers, 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(Normalizations, DataParallel, ::testing::Values("layer", "group", "none"));

TEST(DataParallelBatchNorm, SyncBatchNormMatchesOneRankAndPerRankStatisticsDoNot) {
  // The 1-rank reference is plain torch::nn::BatchNorm1d: the synchronised
  // layer's forward and backward are checked against LibTorch's own.
  const auto reference = mlp_run("batch", false);
  const auto sync = one_rank_vs_two(reference, mlp_run("batch", true), "bn-sync");
  const auto local = one_rank_vs_two(reference, reference, "bn-local");
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    EXPECT_LE(sync.params, 1e-4);
    EXPECT_LE(sync.buffers, 1e-4);  // running statistics too
    EXPECT_GT(local.params, 1e-3) << "per-rank batch statistics should change the result";
  }
}

TEST(Resume, InterruptedAndResumedEndsWithTheUninterruptedParameters) {
  auto run = mlp_run("batch", true);  // sync BN, momentum, cosine schedule: all must resume
  run.train.epochs = 4;
  run.train.checkpoint_every = 1;
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch dir(MPI_COMM_WORLD, "dp-resume");
  const auto straight = train_run(run, data, (dir / "straight").string(), MPI_COMM_WORLD, options());
  ASSERT_TRUE(straight.ok) << straight.message;
  EXPECT_EQ(straight.resumed_from_epoch, -1);

  auto stop = options();
  stop.stop_after_epochs = 2;
  const auto first = train_run(run, data, (dir / "resumed").string(), MPI_COMM_WORLD, stop);
  EXPECT_FALSE(first.ok);
  EXPECT_TRUE(first.interrupted);
  EXPECT_EQ(first.epochs_done, 2);
  EXPECT_TRUE(fs::exists(dir / "resumed" / "train_state.pt"));
  EXPECT_FALSE(fs::exists(dir / "resumed" / "activations.h5"));
  const auto second = train_run(run, data, (dir / "resumed").string(), MPI_COMM_WORLD, options());
  ASSERT_TRUE(second.ok) << second.message;
  EXPECT_EQ(second.resumed_from_epoch, 2);
  EXPECT_EQ(second.epochs_done, 4);
  EXPECT_DOUBLE_EQ(second.final_train_loss, straight.final_train_loss);
  EXPECT_EQ(second.coarse_test_accuracy, straight.coarse_test_accuracy);
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    const auto a = load_state(dir / "straight" / "checkpoint.pt", run, data);
    const auto b = load_state(dir / "resumed" / "checkpoint.pt", run, data);
    const double diff = max_relative_difference(b, a, true);
    std::printf("[ resume ] max relative difference with buffers: %.3g\n", diff);
    EXPECT_LE(diff, 1e-6);
    EXPECT_FALSE(fs::exists(dir / "resumed" / "train_state.pt"));
    ActivationFile fa((dir / "straight" / "activations.h5").string());
    ActivationFile fb((dir / "resumed" / "activations.h5").string());
    for (const auto& key : fa.layers()) {
      EXPECT_TRUE(fa.read(key).isApprox(fb.read(key), 1e-6f)) << key.epoch << "/" << key.layer;
    }
  }
}

TEST(Resume, ADeadlineStopsTheRunAtAnEpochEndAndItResumesFromThere) {
  auto run = mlp_run("layer", false);
  run.train.epochs = 3;
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch dir(MPI_COMM_WORLD, "dp-deadline");
  auto late = options();
  late.deadline = wall_seconds();  // already past when the first epoch ends
  const auto first = train_run(run, data, dir.string(), MPI_COMM_WORLD, late);
  EXPECT_FALSE(first.ok);
  EXPECT_TRUE(first.interrupted);
  EXPECT_TRUE(first.out_of_time);
  EXPECT_EQ(first.epochs_done, 1);
  EXPECT_NE(first.message.find("wall-time limit"), std::string::npos) << first.message;
  EXPECT_TRUE(fs::exists(dir / "train_state.pt"));
  EXPECT_FALSE(fs::exists(dir / "activations.h5"));
  const auto second = train_run(run, data, dir.string(), MPI_COMM_WORLD, options());
  ASSERT_TRUE(second.ok) << second.message;
  EXPECT_FALSE(second.out_of_time);
  EXPECT_EQ(second.resumed_from_epoch, 1);
  EXPECT_EQ(second.epochs_done, 3);
}

// This rank on its GPU (rank mod visible GPUs), all-reducing through NCCL.
TrainOptions on_gpu() {
  TrainOptions o = options();
  o.plan.device = "cuda";
  o.plan.cuda_index = comm_rank(MPI_COMM_WORLD) % static_cast<int>(torch::cuda::device_count());
  o.plan.backend = "nccl";
  return o;
}

TEST(Cuda, OneRankOnTheGpuEndsWhereTheCpuDoes) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "(not installable) LibTorch sees no CUDA device";
  const auto run = mlp_run("batch", false);
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch dir(MPI_COMM_WORLD, "dp-cuda-one");
  const std::string mine = "rank" + std::to_string(comm_rank(MPI_COMM_WORLD));
  const auto cpu = train_run(run, data, (dir / (mine + "-cpu")).string(), MPI_COMM_SELF, options());
  const auto gpu = train_run(run, data, (dir / (mine + "-gpu")).string(), MPI_COMM_SELF, on_gpu());
  ASSERT_TRUE(cpu.ok) << cpu.message;
  ASSERT_TRUE(gpu.ok) << gpu.message;
  // cuBLAS/cuDNN sum in another order: 22 SGD steps stay close, not equal.
  const double diff = max_relative_difference(load_state(dir / (mine + "-gpu") / "checkpoint.pt", run, data),
                                              load_state(dir / (mine + "-cpu") / "checkpoint.pt", run, data),
                                              true);
  std::printf("[ cuda ] %s: max relative difference GPU vs CPU %.3g, test accuracy %.4f vs %.4f\n",
              mine.c_str(), diff, gpu.coarse_test_accuracy, cpu.coarse_test_accuracy);
  EXPECT_LE(diff, 1e-3);
  EXPECT_NEAR(gpu.coarse_test_accuracy, cpu.coarse_test_accuracy, 0.02);
}

TEST(Cuda, TwoRanksMatchOneOnSeparateGpusAndRefuseASharedOne) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "(not installable) LibTorch sees no CUDA device";
  const auto run = mlp_run("layer", false);
  if (torch::cuda::device_count() >= static_cast<std::size_t>(comm_size(MPI_COMM_WORLD))) {
    const auto c = one_rank_vs_two(run, run, "cuda-two", on_gpu());
    if (comm_rank(MPI_COMM_WORLD) == 0) {
      EXPECT_LE(c.params, 1e-3);
    }
    return;
  }
  // Fewer GPUs than ranks: NCCL would answer "invalid usage"; every rank must
  // get the same message naming the shared GPU instead, and none may hang.
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch dir(MPI_COMM_WORLD, "dp-cuda-shared");
  std::string message;
  try {
    const auto out = train_run(run, data, dir.string(), MPI_COMM_WORLD, on_gpu());
    message = out.ok ? "" : out.message;
  } catch (const std::exception& e) {
    message = e.what();
  }
  std::printf("[ cuda ] shared GPU: %s\n", message.c_str());
  EXPECT_NE(message.find("share GPU"), std::string::npos) << message;
}

}  // namespace
}  // namespace cp
