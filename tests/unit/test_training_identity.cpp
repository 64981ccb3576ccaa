// Training identities (issue 23 item 6): runs whose networks would be the
// same train once. What reaches the weights decides (the samples kept, the
// targets, the architecture, the seed, the training settings, the network
// started from); hierarchy names, probe sets and clustering settings do not.
#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/plan.hpp"

namespace {

cp::Plan plan(const std::string& grid, const std::string& rest = "") {
  return cp::make_plan(cp::parse_study("study: s\noutput: o\ngrid:\n" + grid + rest, "study.yaml"));
}

const cp::RunSpec& find(const cp::Plan& p, const std::string& dataset, const std::string& labels,
                        const std::string& pretraining = "none") {
  for (const auto& r : p.runs)
    if (r.dataset == dataset && r.labels == labels && r.pretraining == pretraining) return r;
  throw std::runtime_error("no run " + dataset + " " + labels + " " + pretraining);
}

const char* const kTwoHierarchies =
    "  dataset: [fmnist/pairs-similar, fmnist/pairs-unrelated]\n"
    "  architecture: [mlp]\n  normalization: [batch]\n";

}  // namespace

TEST(TrainingIdentity, FineRunsOfHierarchiesThatKeepEveryClassShareOneTraining) {
  const auto p = plan(kTwoHierarchies, "train: {labels: [coarse, fine]}\n");
  ASSERT_EQ(p.runs.size(), 4u);
  const auto& fine_a = find(p, "fmnist/pairs-similar", "fine");
  const auto& fine_b = find(p, "fmnist/pairs-unrelated", "fine");
  const auto& coarse_a = find(p, "fmnist/pairs-similar", "coarse");
  const auto& coarse_b = find(p, "fmnist/pairs-unrelated", "coarse");
  EXPECT_NE(fine_a.id, fine_b.id);  // two analyses: other coarse labels
  EXPECT_EQ(fine_a.training_id, fine_b.training_id);
  EXPECT_EQ(fine_a.trained_by, fine_a.id);  // the first in plan order trains
  EXPECT_EQ(fine_b.trained_by, fine_a.id);
  // Other superclasses are other targets: other networks.
  EXPECT_NE(coarse_a.training_id, coarse_b.training_id);
  EXPECT_EQ(coarse_a.trained_by, coarse_a.id);
  EXPECT_EQ(coarse_b.trained_by, coarse_b.id);
  EXPECT_NE(coarse_a.training_id, fine_a.training_id);
  std::ostringstream out;
  cp::print_plan(p, out);
  EXPECT_NE(out.str().find("4 runs (0 pretraining), 3 trainings (1 run is scored from another run's training"), std::string::npos)
      << out.str();
  EXPECT_NE(out.str().find(" " + fine_a.id + "\n"), std::string::npos) << out.str();
}

TEST(TrainingIdentity, ChildrenOfIdenticalPretrainingRunsShareToo) {
  const auto p = plan(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [mlp]\n  normalization: [batch]\n"
      "  pretraining: ['fine:fmnist/pairs-similar', 'fine:fmnist/pairs-unrelated']\n",
      "train: {epochs: 1, pretrain_epochs: 2}\n");
  ASSERT_EQ(p.runs.size(), 4u);  // 2 pretraining runs + 2 children
  const auto& parent_a = find(p, "fmnist/pairs-similar", "fine");
  const auto& parent_b = find(p, "fmnist/pairs-unrelated", "fine");
  EXPECT_TRUE(parent_a.is_pretraining && parent_b.is_pretraining);
  EXPECT_EQ(parent_b.trained_by, parent_a.id);
  const auto& child_a = find(p, "fmnist/pairs-similar", "coarse", "fine:fmnist/pairs-similar");
  const auto& child_b = find(p, "fmnist/pairs-similar", "coarse", "fine:fmnist/pairs-unrelated");
  EXPECT_NE(child_a.id, child_b.id);
  EXPECT_EQ(child_a.parent_id, parent_a.id);
  EXPECT_EQ(child_b.parent_id, parent_b.id);
  EXPECT_EQ(child_b.trained_by, child_a.id);
}

TEST(TrainingIdentity, WhatReachesTheWeightsSeparatesTrainings) {
  // Seeds, and the classes a domain split keeps.
  const auto seeds = plan(kTwoHierarchies + std::string("  seed: [0, 1]\n"), "train: {labels: [fine]}\n");
  std::map<std::string, int> per_training;
  for (const auto& r : seeds.runs) ++per_training[r.training_id];
  EXPECT_EQ(per_training.size(), 2u);  // one per seed, each shared by the two hierarchies
  const auto split = plan("  dataset: [fmnist/fmnist-breeds, 'fmnist/fmnist-breeds:source']\n"
                          "  architecture: [mlp]\n  normalization: [batch]\n",
                          "train: {labels: [fine]}\n");
  EXPECT_NE(split.runs[0].training_id, split.runs[1].training_id);
  // Training settings.
  const auto a = plan(kTwoHierarchies, "train: {labels: [fine], lr: 0.05}\n");
  const auto b = plan(kTwoHierarchies, "train: {labels: [fine], lr: 0.01}\n");
  EXPECT_NE(a.runs[0].training_id, b.runs[0].training_id);
}

TEST(TrainingIdentity, ProbeAndClusteringSettingsAreTheAnalysisNotTheTraining) {
  const auto a = plan(kTwoHierarchies, "extract: {max_samples: 200}\ncluster: {restarts: 2}\n");
  const auto b = plan(kTwoHierarchies, "extract: {max_samples: 300, spatial: max}\ncluster: {restarts: 5}\n");
  ASSERT_EQ(a.runs.size(), b.runs.size());
  for (std::size_t i = 0; i < a.runs.size(); ++i) {
    EXPECT_NE(a.runs[i].id, b.runs[i].id);  // other probe sets: other files
    EXPECT_EQ(a.runs[i].training_id, b.runs[i].training_id);
  }
}
