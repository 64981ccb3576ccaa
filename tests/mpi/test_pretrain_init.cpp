// ranks: 2
// Pretrained initialisation, finetune modes, fine labels and training-dynamics
// extraction, for a run trained data-parallel over both ranks.
#include <gtest/gtest.h>
#include <mpi.h>
#include <torch/script.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <map>
#include <optional>
#include <set>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/train/trainer.hpp"
#include "../support/group_scratch.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

using test::GroupScratch;

RunSpec tiny_run(const std::string& id, int epochs) {
  RunSpec r;
  r.id = id;
  r.dataset = "synthetic/gmm";
  r.architecture = "mlp";
  r.normalization = "batch";  // running statistics: buffers are part of the pretrained body
  r.pretraining = "none";
  r.seed = 3;
  r.train.epochs = epochs;
  r.train.batch_size = 32;
  r.data.synthetic_train_per_fine = 30;
  r.data.synthetic_test_per_fine = 10;
  r.resolved_yaml = id;
  return r;
}

TrainOptions one_thread() {
  TrainOptions o;
  o.threads = 1;
  return o;
}

std::map<std::string, torch::Tensor> checkpoint_tensors(const fs::path& path) {
  auto m = torch::jit::load(path.string());
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters(true)) out[p.name] = p.value.clone();
  for (const auto& b : m.named_buffers(true)) out[b.name] = b.value.clone();
  return out;
}

std::optional<LayerKey> find(const ActivationFile& f, int epoch, const std::string& layer) {
  for (const auto& k : f.layers())
    if (k.epoch == epoch && k.layer == layer) return k;
  return std::nullopt;
}

std::set<int> epochs_of(const ActivationFile& f) {
  std::set<int> out;
  for (const auto& k : f.layers()) out.insert(k.epoch);
  return out;
}

class PretrainInit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto run = tiny_run("pretrain", 1);
    data_ = new Dataset(load_dataset(run.dataset, run.data));
    parent_ = new GroupScratch(MPI_COMM_WORLD, "pretrain-parent");
    const auto out = train_run(run, *data_, parent_->string(), MPI_COMM_WORLD, one_thread());
    ASSERT_TRUE(out.ok) << out.message;
  }
  static void TearDownTestSuite() {
    delete parent_;
    delete data_;
  }
  static std::string parent_checkpoint() { return (*parent_ / "checkpoint.pt").string(); }
  static fs::path parent_file() { return *parent_ / "activations.h5"; }

  static Dataset* data_;
  static GroupScratch* parent_;
};
Dataset* PretrainInit::data_ = nullptr;
GroupScratch* PretrainInit::parent_ = nullptr;

TEST_F(PretrainInit, EpochZeroIsThePretrainedBody) {
  auto run = tiny_run("child-full", 1);
  run.parent_id = "pretrain";
  const GroupScratch dir(MPI_COMM_WORLD, "pretrain-full");
  const auto out = train_run(run, *data_, dir.string(), MPI_COMM_WORLD, one_thread(), parent_checkpoint());
  ASSERT_TRUE(out.ok) << out.message;
  ActivationFile parent(parent_file().string()), child((dir / "activations.h5").string());
  const auto a = find(parent, 1, "fc2"), b = find(child, 0, "fc2");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(parent.read(*a).isApprox(child.read(*b), 1e-6f));
  EXPECT_LT((parent.read(*a) - child.read(*b)).cwiseAbs().maxCoeff(), 1e-6f);
  EXPECT_EQ(child.string_attr("finetune"), "full");
}

TEST_F(PretrainInit, LinearTrainsOnlyTheHeadAndFrozenNothing) {
  auto linear = tiny_run("child-linear", 2);
  linear.train.finetune = "linear";
  auto frozen = tiny_run("child-frozen", 2);
  frozen.train.finetune = "frozen";
  frozen.extract_epochs = {0, 1, 2};
  const GroupScratch dl(MPI_COMM_WORLD, "pretrain-linear"), df(MPI_COMM_WORLD, "pretrain-frozen");
  const auto ol = train_run(linear, *data_, dl.string(), MPI_COMM_WORLD, one_thread(), parent_checkpoint());
  const auto of = train_run(frozen, *data_, df.string(), MPI_COMM_WORLD, one_thread(), parent_checkpoint());
  ASSERT_TRUE(ol.ok) << ol.message;
  ASSERT_TRUE(of.ok) << of.message;
  EXPECT_EQ(ol.epochs_done, 2);
  EXPECT_TRUE(std::isnan(of.coarse_test_accuracy));
  EXPECT_EQ(of.epochs_done, 0);

  const auto parent = checkpoint_tensors(parent_checkpoint());
  const auto after = checkpoint_tensors(dl / "checkpoint.pt");
  const auto initial = checkpoint_tensors(df / "checkpoint.pt");  // frozen: the initial model
  int body = 0;
  for (const auto& [name, t] : parent) {
    if (name.rfind("head.", 0) == 0) continue;
    ++body;
    ASSERT_TRUE(after.count(name)) << name;
    EXPECT_TRUE(torch::equal(t, after.at(name))) << "linear finetuning changed " << name;
    EXPECT_TRUE(torch::equal(t, initial.at(name))) << name;
  }
  EXPECT_GE(body, 4);  // fc1, fc2 weights and biases at least (BatchNorm too)
  EXPECT_FALSE(torch::equal(after.at("head.weight"), initial.at("head.weight"))) << "the head did not train";

  ActivationFile ff((df / "activations.h5").string());
  EXPECT_TRUE(ff.complete());
  EXPECT_EQ(epochs_of(ff), std::set<int>{0});
  EXPECT_FALSE(ff.predicted_coarse().has_value());
  ActivationFile fl((dl / "activations.h5").string());
  EXPECT_EQ(epochs_of(fl), (std::set<int>{0, 2}));
  EXPECT_TRUE(fl.predicted_coarse().has_value());
}

TEST_F(PretrainInit, FineLabelsWriteFineAccuracy) {
  auto run = tiny_run("child-fine", 2);
  run.labels = "fine";
  const GroupScratch dir(MPI_COMM_WORLD, "pretrain-fine");
  // The parent's head has 3 coarse outputs, this one 9 fine ones: the head is not loaded.
  const auto out = train_run(run, *data_, dir.string(), MPI_COMM_WORLD, one_thread(), parent_checkpoint());
  ASSERT_TRUE(out.ok) << out.message;
  ActivationFile f((dir / "activations.h5").string());
  EXPECT_EQ(f.string_attr("trained_on"), "fine");
  ASSERT_TRUE(f.number_attr("fine_test_accuracy").has_value());
  EXPECT_EQ(*f.number_attr("fine_test_accuracy"), out.fine_test_accuracy);
  EXPECT_GT(out.fine_test_accuracy, 1.0 / 9);
  EXPECT_GE(out.coarse_test_accuracy, out.fine_test_accuracy);  // a right fine class is a right superclass
  ASSERT_TRUE(f.predicted_coarse().has_value());
  for (auto c : *f.predicted_coarse()) EXPECT_TRUE(c >= 0 && c < data_->hierarchy.num_coarse());
  const auto logits = find(f, 2, "logits");
  ASSERT_TRUE(logits);
  EXPECT_EQ(logits->dim, data_->hierarchy.num_fine());
  // A coarse run has no fine accuracy.
  ActivationFile parent(parent_file().string());
  EXPECT_FALSE(parent.number_attr("fine_test_accuracy").has_value());
  EXPECT_EQ(parent.string_attr("trained_on"), "coarse");
}

TEST_F(PretrainInit, ExtractEpochsSurviveAResume) {
  auto run = tiny_run("dynamics", 3);
  run.extract_epochs = {0, 1, 2};
  const GroupScratch whole(MPI_COMM_WORLD, "pretrain-dyn-whole"), split(MPI_COMM_WORLD, "pretrain-dyn-split");
  const auto a = train_run(run, *data_, whole.string(), MPI_COMM_WORLD, one_thread());
  ASSERT_TRUE(a.ok) << a.message;
  auto stop = one_thread();
  stop.stop_after_epochs = 2;
  const auto b1 = train_run(run, *data_, split.string(), MPI_COMM_WORLD, stop);
  ASSERT_TRUE(b1.interrupted);
  const auto b2 = train_run(run, *data_, split.string(), MPI_COMM_WORLD, one_thread());
  ASSERT_TRUE(b2.ok) << b2.message;
  EXPECT_EQ(b2.resumed_from_epoch, 2);

  ActivationFile fa((whole / "activations.h5").string()), fb((split / "activations.h5").string());
  EXPECT_EQ(epochs_of(fa), (std::set<int>{0, 1, 2, 3}));
  ASSERT_EQ(fa.layers().size(), fb.layers().size());
  for (std::size_t i = 0; i < fa.layers().size(); ++i) {
    const auto& k = fa.layers()[i];
    EXPECT_EQ(k.epoch, fb.layers()[i].epoch);
    EXPECT_EQ(k.layer, fb.layers()[i].layer);
    EXPECT_TRUE(fa.read(k).isApprox(fb.read(fb.layers()[i]), 0.0f)) << "epoch " << k.epoch << " " << k.layer;
  }
  // Epoch 1 and 2 really are other models than epoch 3.
  EXPECT_FALSE(fa.read(*find(fa, 1, "fc2")).isApprox(fa.read(*find(fa, 3, "fc2")), 1e-6f));
  // Each stored epoch has its network's predictions (e2e accuracy at that
  // epoch), the same after a resume; the last one is the final network's.
  for (int e : {0, 1, 2, 3}) {
    const auto pa = fa.predicted_coarse_at(e), pb = fb.predicted_coarse_at(e);
    ASSERT_TRUE(pa && pb) << "epoch " << e;
    EXPECT_EQ(*pa, *pb) << "epoch " << e;
  }
  EXPECT_EQ(*fa.predicted_coarse_at(3), *fa.predicted_coarse());
  EXPECT_NE(*fa.predicted_coarse_at(0), *fa.predicted_coarse()) << "an untrained net predicts as well as a trained one";
  // The leader removes them after the last collective of train_run, which may
  // have returned here already (src/train/trainer.cpp): wait for it.
  MPI_Barrier(MPI_COMM_WORLD);
  for (const fs::path& dir : {whole.path(), split.path()}) {
    for (const auto& entry : fs::directory_iterator(dir)) {
      const auto name = entry.path().filename().string();
      EXPECT_FALSE(name.rfind("epoch_", 0) == 0) << "snapshot left behind: " << name;
      EXPECT_NE(name, "train_state.pt");
    }
  }
}

TEST_F(PretrainInit, MissingCheckpointIsAnInputErrorNamingIt) {
  auto run = tiny_run("child-missing", 1);
  const GroupScratch dir(MPI_COMM_WORLD, "pretrain-missing");
  const auto bad = (dir / "nope.pt").string();
  try {
    train_run(run, *data_, dir.string(), MPI_COMM_WORLD, one_thread(), bad);
    FAIL() << "no error for a missing checkpoint";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

// A TorchScript body (scripted by Debian's python3-torch) trains through
// train_run: its direct submodule calls are probe points, and finetune linear
// leaves the scripted weights alone.
TEST_F(PretrainInit, TorchScriptBodyWithLinearFinetune) {
  const int skip = std::system((std::string(CP_TEST_PYTHON) + " -c 'import torch' >/dev/null 2>&1").c_str()) != 0;
  int any_skip = skip;
  MPI_Allreduce(&skip, &any_skip, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
  if (any_skip) GTEST_SKIP() << CP_TEST_PYTHON << " cannot import torch";
  const GroupScratch dir(MPI_COMM_WORLD, "pretrain-scripted");
  const auto model = (dir / "body.pt").string();
  int rc = 0;
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    std::ofstream(dir / "make.py")
        << "import sys, torch\n"
           "class Body(torch.nn.Module):\n"
           "    def __init__(self):\n"
           "        super().__init__()\n"
           "        self.fc = torch.nn.Linear(" << data_->sample_size() << ", 16)\n"
           "        self.bn = torch.nn.BatchNorm1d(16)\n"
           "    def forward(self, x):\n"
           "        h = self.fc(x)\n"
           "        return torch.relu(self.bn(h)) + 0.1 * h\n"
           "torch.manual_seed(0)\n"
           "torch.jit.script(Body()).save(sys.argv[1])\n";
    rc = std::system((std::string(CP_TEST_PYTHON) + " " + (dir / "make.py").string() + " " + model).c_str());
  }
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  ASSERT_EQ(rc, 0);
  auto run = tiny_run("scripted", 2);
  run.architecture = "torchscript";
  run.pretraining = "torchscript:" + model;
  run.torchscript_path = model;
  run.train.finetune = "linear";
  const auto out = train_run(run, *data_, (dir / "run").string(), MPI_COMM_WORLD, one_thread());
  ASSERT_TRUE(out.ok) << out.message;
  ActivationFile f((dir / "run" / "activations.h5").string());
  std::set<std::string> names;
  for (const auto& k : f.layers()) names.insert(k.layer);
  EXPECT_EQ(names, (std::set<std::string>{"input", "fc", "bn", "output", "logits"}));
  const auto body = checkpoint_tensors(model), trained = checkpoint_tensors(dir / "run" / "checkpoint.pt");
  for (const auto& [name, t] : body) {
    ASSERT_TRUE(trained.count("body." + name)) << name;
    EXPECT_TRUE(torch::equal(t, trained.at("body." + name))) << "linear finetuning changed " << name;
  }
  EXPECT_GT(out.coarse_test_accuracy, 1.0 / 3);
}

}  // namespace
}  // namespace cp
