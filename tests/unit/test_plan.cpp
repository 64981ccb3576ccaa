// The plan of issue 5's axes: pretraining runs and their dependents, the
// labels axis, skipped combinations, stored epochs, augmentation, stable ids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/pipeline/stages.hpp"

namespace fs = std::filesystem;

namespace {

cp::StudyConfig study(const std::string& grid, const std::string& rest = "") {
  return cp::parse_study("study: s\noutput: o\ngrid:\n" + grid + rest, "study.yaml");
}

std::string config_error(const std::string& text) {
  try {
    cp::make_plan(cp::parse_study(text, "study.yaml"));
  } catch (const cp::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return {};
}

}  // namespace

TEST(Plan, PretrainingRunIsPlannedOnceBeforeItsDependents) {
  const auto s = study(
      "  dataset: [fmnist/pairs-similar, fmnist/pairs-unrelated]\n"
      "  architecture: [mlp]\n  normalization: [batch]\n"
      "  pretraining: [none, 'fine:fmnist/pairs-similar']\n",
      "train: {epochs: 2, pretrain_epochs: 3, finetune: linear}\n");
  const auto runs = cp::expand_grid(s);
  ASSERT_EQ(runs.size(), 5u);  // 1 pretraining run + 2 datasets x 2 pretraining values
  const auto& parent = runs.front();
  EXPECT_EQ(parent.dataset, "fmnist/pairs-similar");
  EXPECT_EQ(parent.labels, "fine");
  EXPECT_EQ(parent.pretraining, "none");
  EXPECT_EQ(parent.train.epochs, 3);  // pretrain_epochs
  EXPECT_TRUE(parent.parent_id.empty());
  int dependents = 0;
  for (const auto& r : runs) {
    EXPECT_EQ(r.is_pretraining, r.id == parent.id) << r.id;
    if (r.pretraining == "none") {
      EXPECT_TRUE(r.parent_id.empty());
      continue;
    }
    ++dependents;
    EXPECT_EQ(r.parent_id, parent.id);
    EXPECT_EQ(r.labels, "coarse");
    EXPECT_EQ(r.train.epochs, 2);
    EXPECT_NE(r.resolved_yaml.find("pretrained_from: " + parent.id), std::string::npos);
    EXPECT_NE(r.resolved_yaml.find("finetune: linear"), std::string::npos);
  }
  EXPECT_EQ(dependents, 2);
  std::set<std::string> ids;
  for (const auto& r : runs) EXPECT_TRUE(ids.insert(r.id).second) << "duplicate run " << r.id;

  // A dependent's id follows its pretraining run: more pretraining epochs, new ids.
  const auto longer = cp::expand_grid(cp::parse_study(
      "study: s\noutput: o\ngrid:\n  dataset: [fmnist/pairs-similar, fmnist/pairs-unrelated]\n"
      "  architecture: [mlp]\n  normalization: [batch]\n"
      "  pretraining: [none, 'fine:fmnist/pairs-similar']\n"
      "train: {epochs: 2, pretrain_epochs: 4, finetune: linear}\n",
      "study.yaml"));
  EXPECT_NE(longer.front().id, parent.id);
  EXPECT_EQ(longer[1].id, runs[1].id);  // a run without pretraining keeps its id
}

TEST(Plan, PlanShowsTheDependency) {
  const auto s = study(
      "  dataset: [fmnist/pairs-unrelated]\n  architecture: [mlp]\n  normalization: [none]\n"
      "  pretraining: ['coarse:fmnist/pairs-similar']\n");
  const auto runs = cp::expand_grid(s);
  ASSERT_EQ(runs.size(), 2u);
  std::ostringstream out;
  cp::print_plan(cp::make_plan(s), out);
  const std::string text = out.str();
  EXPECT_NE(text.find("2 runs (1 pretraining)"), std::string::npos) << text;
  // The dependent's row names its pretraining run's id (column "after"),
  // then the run that trains it (itself: "here").
  std::istringstream lines(text);
  std::string line;
  bool found = false;
  while (std::getline(lines, line)) {
    if (line.rfind(runs[1].id, 0) == 0) {
      found = true;
      EXPECT_NE(line.find("  " + runs[0].id + "  here"), std::string::npos) << line;
    }
  }
  EXPECT_TRUE(found) << text;
}

TEST(Plan, GridRunThatIsAlsoAPretrainingRunIsTrainedOnce) {
  const auto s = study(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [mlp]\n  normalization: [none]\n"
      "  pretraining: [none, 'fine:fmnist/pairs-similar']\n",
      "train: {labels: [coarse, fine]}\n");
  const auto runs = cp::expand_grid(s);
  // none x {coarse, fine} + fine-pretrained x {coarse, fine}; the fine-label grid
  // run is the pretraining run itself.
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs.front().labels, "fine");
  EXPECT_EQ(runs.front().pretraining, "none");
  for (std::size_t i = 1; i < runs.size(); ++i) {
    if (!runs[i].parent_id.empty()) {
      EXPECT_EQ(runs[i].parent_id, runs.front().id);
    }
  }
}

TEST(Plan, LabelsListIsAnAxis) {
  const auto coarse = cp::expand_grid(study(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [mlp, cnn]\n  normalization: [none]\n"));
  const auto both = cp::expand_grid(study(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [mlp, cnn]\n  normalization: [none]\n",
      "train: {labels: [coarse, fine]}\n"));
  ASSERT_EQ(coarse.size(), 2u);
  ASSERT_EQ(both.size(), 4u);
  EXPECT_EQ(both[0].id, coarse[0].id);  // coarse runs keep their ids
  EXPECT_EQ(both[1].labels, "fine");
  EXPECT_NE(both[1].resolved_yaml.find("labels: fine"), std::string::npos);
  EXPECT_NE(config_error("study: s\noutput: o\ngrid: {dataset: [synthetic/gmm], architecture: mlp, "
                         "normalization: none}\ntrain: {labels: superclass}\n")
                .find("study.yaml:4: train.labels: unknown value 'superclass'"),
            std::string::npos);
}

TEST(Plan, CombinationsAnArchitectureCannotTakeAreSkipped) {
  const auto s = study(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [resnet8, vit-d1-w16-h2]\n"
      "  normalization: [batch, group]\n");
  const auto runs = cp::expand_grid(s);
  ASSERT_EQ(runs.size(), 3u);  // the ViT has no group normalization
  const auto skipped = cp::make_plan(s).skipped;
  ASSERT_EQ(skipped.size(), 1u);
  EXPECT_NE(skipped[0].find("normalization group is not defined for vit-d1-w16-h2"),
            std::string::npos);
  const std::string none = config_error(
      "study: s\noutput: o\ngrid: {dataset: [synthetic/gmm], architecture: [vit], "
      "normalization: [group]}\n");
  EXPECT_NE(none.find("study.yaml: grid: no combination of the axes makes a run"),
            std::string::npos)
      << none;
}

TEST(Plan, TorchscriptNeedsItsFileAndItsArchitecture) {
  const std::string missing = config_error(
      "study: s\noutput: o\ngrid:\n  dataset: [synthetic/gmm]\n  architecture: [torchscript]\n"
      "  normalization: [none]\n  pretraining: ['torchscript:/nonexistent/model.pt']\n");
  EXPECT_NE(missing.find("study.yaml:7: grid.pretraining: "), std::string::npos) << missing;
  EXPECT_NE(missing.find("/nonexistent/model.pt"), std::string::npos) << missing;

  const auto dir = fs::temp_directory_path() / ("cp_plan_ts_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto model = (dir / "model.pt").string();
  std::ofstream(model) << "not really a model, but the plan only hashes it";
  const auto s = study("  dataset: [synthetic/gmm]\n  architecture: [mlp, torchscript]\n"
                       "  normalization: [batch, none]\n  pretraining: [none, 'torchscript:" +
                       model + "']\n");
  const auto runs = cp::expand_grid(s);
  // mlp x {batch, none} x none, plus one scripted run (its normalization is its own).
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].architecture, "torchscript");
  EXPECT_EQ(runs[2].normalization, "scripted");
  EXPECT_EQ(runs[2].torchscript_path, model);
  EXPECT_EQ(runs[2].extract.layers, std::vector<std::string>{"all"});  // known once loaded
  std::ofstream(model) << "a changed file is a new run";
  EXPECT_NE(cp::expand_grid(s)[2].id, runs[2].id);
  fs::remove_all(dir);
}

TEST(Plan, ExtractEpochsAreResolvedPerRun) {
  const auto s = study(
      "  dataset: [fmnist/pairs-similar]\n  architecture: [mlp]\n  normalization: [none]\n"
      "  pretraining: [none, 'coarse:fmnist/pairs-unrelated']\n",
      "train: {epochs: 5, pretrain_epochs: 2}\nextract: {epochs: [1, 2, 5, last]}\n");
  const auto runs = cp::expand_grid(s);
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[0].extract_epochs, (std::vector<int>{0, 1, 2}));  // the 2-epoch pretraining run
  EXPECT_EQ(runs[1].extract_epochs, (std::vector<int>{0, 1, 2, 5}));
  const std::string late = config_error(
      "study: s\noutput: o\ngrid: {dataset: [synthetic/gmm], architecture: mlp, "
      "normalization: none}\ntrain: {epochs: 3}\nextract:\n  epochs: [1, 7]\n");
  EXPECT_NE(late.find("study.yaml:6: extract.epochs: epoch 7 is after the last epoch"),
            std::string::npos)
      << late;
  const std::string bad = config_error(
      "study: s\noutput: o\ngrid: {dataset: [synthetic/gmm], architecture: mlp, "
      "normalization: none}\nextract: {epochs: [first]}\n");
  EXPECT_NE(bad.find("extract.epochs: expected an epoch >= 1 or 'last'"), std::string::npos) << bad;
}

TEST(Plan, AugmentationDefaultsFollowTheDataset) {
  const auto s = study(
      "  dataset: [fmnist/pairs-similar, synthetic/gmm]\n  architecture: [mlp]\n"
      "  normalization: [none]\n");
  for (const auto& r : cp::expand_grid(s)) EXPECT_TRUE(r.augment.empty()) << r.dataset;
  const auto flip = cp::expand_grid(
      study("  dataset: [fmnist/pairs-similar]\n  architecture: [cnn]\n  normalization: [none]\n",
            "train: {augment: [flip]}\n"));
  EXPECT_EQ(flip[0].augment, std::vector<std::string>{"flip"});
  EXPECT_NE(flip[0].resolved_yaml.find("augment: [flip]"), std::string::npos);
  EXPECT_NE(config_error("study: s\noutput: o\ngrid: {dataset: [synthetic/gmm], architecture: mlp, "
                         "normalization: none}\ntrain: {augment: [auto, flip]}\n")
                .find("'auto' (the dataset's default) cannot be combined"),
            std::string::npos);
}

TEST(Plan, RunIdsAreStable) {
  // The quickstart's first run under the content-based run ids: a
  // change here retrains every user's study, so it must be deliberate.
  std::ifstream in(std::string(CP_SOURCE_DIR) + "/configs/quickstart.yaml");
  std::ostringstream text;
  text << in.rdbuf();
  const auto runs = cp::expand_grid(cp::parse_study(text.str(), "quickstart.yaml"));
  ASSERT_FALSE(runs.empty());
  EXPECT_EQ(runs[0].dataset, "fmnist/pairs-unrelated");
  EXPECT_EQ(runs[0].architecture, "mlp");
  EXPECT_EQ(runs[0].id, "ba6a6ae5baa39a0f");
}

// Run ids follow the content of every input: the
// hierarchy as used, not its file's name; the data files, not their directory.
TEST(Plan, RunIdsFollowTheHierarchyAndTheDataFiles) {
  const fs::path dir = fs::temp_directory_path() / ("cp-plan-" + std::to_string(::getpid()));
  fs::create_directories(dir / "h");
  fs::create_directories(dir / "data");
  const std::string classes =
      "classes: [T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot]\n";
  auto hierarchy = [&](const std::string& file, const std::string& tops, const std::string& outer) {
    std::ofstream(dir / "h" / file) << "name: mine\n" << classes << "superclasses:\n  tops: [" << tops
                                     << "]\n  outer: [" << outer << "]\n";
  };
  hierarchy("mine.yaml", "T-shirt/top, Shirt", "Pullover, Coat");
  // Data: the Debian files, with one label file copied so that it can change.
  const fs::path debian = "/usr/share/datasets/fashion-mnist";
  for (const char* f : {"train-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"})
    fs::create_symlink(debian / f, dir / "data" / f);
  fs::copy_file(debian / "t10k-labels-idx1-ubyte.gz", dir / "data" / "t10k-labels-idx1-ubyte.gz");
  auto first_id = [&](const std::string& data_dir) {
    return cp::expand_grid(study("  dataset: [fmnist/mine]\n  architecture: [mlp]\n  normalization: [none]\n",
                                 "data: {hierarchy_dir: " + (dir / "h").string() + ", fmnist_dir: " + data_dir + "}\n"))
        .front()
        .id;
  };
  const std::string base = first_id((dir / "data").string());
  EXPECT_EQ(first_id(debian.string()), base) << "the same files elsewhere are the same data";

  hierarchy("mine.yaml", "T-shirt/top, Coat", "Pullover, Shirt");  // two classes swapped
  const std::string swapped = first_id((dir / "data").string());
  EXPECT_NE(swapped, base);
  hierarchy("mine.yaml", "Shirt, T-shirt/top", "Coat, Pullover");  // the same sets, listed otherwise
  EXPECT_EQ(first_id((dir / "data").string()), base);

  {  // one byte of the test labels' gzip trailer: a re-exported file
    std::fstream f(dir / "data" / "t10k-labels-idx1-ubyte.gz", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('\x7f');
  }
  EXPECT_NE(first_id((dir / "data").string()), base);
  fs::resize_file(dir / "data" / "t10k-labels-idx1-ubyte.gz", 1000);  // truncated
  EXPECT_NE(first_id((dir / "data").string()), base);
  fs::remove_all(dir);
}

TEST(Plan, ReproStudiesParseAndPlan) {
  // Every shipped study file is valid and plans its runs without the data
  // (CIFAR and image folders live on the user's machine).
  const fs::path dir = fs::path(CP_SOURCE_DIR) / "configs" / "repro";
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".yaml") continue;
    ++files;
    SCOPED_TRACE(entry.path().string());
    const auto s = cp::load_study(entry.path().string());
    const auto runs = cp::expand_grid(s);
    EXPECT_FALSE(runs.empty());
    for (const auto& r : runs) {
      if (!r.parent_id.empty()) {
        EXPECT_TRUE(std::any_of(runs.begin(), runs.end(),
                                [&](const cp::RunSpec& p) { return p.id == r.parent_id; }));
      }
    }
  }
  EXPECT_GE(files, 5);
}
