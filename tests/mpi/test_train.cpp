// ranks: 2
// Training one run per rank (groups of one): reproducible for a fixed seed,
// a complete activations file in the documented schema, and a diverged run
// reported as a result without a complete file.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/train/trainer.hpp"
#include "../support/group_scratch.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// Each rank trains its own run: a directory per rank.
using test::GroupScratch;

RunSpec tiny_run(int seed, const std::string& norm) {
  RunSpec r;
  r.id = "test" + std::to_string(seed) + norm;
  r.dataset = "synthetic/gmm";
  r.architecture = "mlp";
  r.normalization = norm;
  r.pretraining = "none";
  r.seed = seed;
  r.train.epochs = 2;
  r.train.batch_size = 32;
  r.data.synthetic_train_per_fine = 40;
  r.data.synthetic_test_per_fine = 20;
  r.resolved_yaml = "test";
  return r;
}

TrainOptions one_thread() {
  TrainOptions o;
  o.threads = 1;
  return o;
}

TEST(Train, ReproducibleCompleteAndSchemaConformant) {
  const int rank = comm_rank(MPI_COMM_WORLD);
  const auto norm = rank == 0 ? "batch" : "layer";
  auto run = tiny_run(7, norm);
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch a(MPI_COMM_SELF, "train-a"), b(MPI_COMM_SELF, "train-b");
  const auto ra = train_run(run, data, a.string(), MPI_COMM_SELF, one_thread());
  const auto rb = train_run(run, data, b.string(), MPI_COMM_SELF, one_thread());
  ASSERT_TRUE(ra.ok) << ra.message;
  EXPECT_EQ(ra.epochs_done, 2);
  EXPECT_EQ(ra.coarse_test_accuracy, rb.coarse_test_accuracy);
  EXPECT_GT(ra.coarse_test_accuracy, 0.8);  // separation 8: coarse labels are easy

  ActivationFile fa((a / "activations.h5").string()), fb((b / "activations.h5").string());
  EXPECT_TRUE(fa.complete());
  EXPECT_TRUE(fs::exists(a / "checkpoint.pt"));
  EXPECT_FALSE(fs::exists(a / "activations.h5.tmp"));
  EXPECT_FALSE(fs::exists(a / "train_state.pt")) << "the resumable state outlived a complete run";
  EXPECT_EQ(fa.rows(), data.test.size());
  ASSERT_TRUE(fa.predicted_coarse().has_value());
  EXPECT_EQ(fa.string_attr("run_id"), run.id);
  EXPECT_EQ(fa.number_attr("coarse_test_accuracy").value_or(-1), ra.coarse_test_accuracy);
  // input once (epoch 0), every other probe point at epochs 0 and 2.
  const auto& probes = probe_points("mlp");
  EXPECT_EQ(fa.layers().size(), 1 + 2 * (probes.size() - 1));
  for (const auto& key : fa.layers()) {
    EXPECT_TRUE(key.epoch == 0 || key.epoch == 2) << key.layer;
    EXPECT_TRUE(fa.read(key).isApprox(fb.read(key), 0.0f)) << "not reproducible: " << key.layer;
  }
}

TEST(Train, DivergedRunIsAResultNotACrash) {
  auto run = tiny_run(1, "none");
  run.train.lr = 1e12;
  run.train.momentum = 0.0;
  const auto data = load_dataset(run.dataset, run.data);
  const GroupScratch dir(MPI_COMM_SELF, "train-nan");
  const auto out = train_run(run, data, dir.string(), MPI_COMM_SELF, one_thread());
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.message.find("diverged"), std::string::npos) << out.message;
  EXPECT_FALSE(fs::exists(dir / "activations.h5"));
}

}  // namespace
}  // namespace cp
