// Study files: parsing, defaults, overrides, error messages, grid expansion, run ids.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/hash.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/models/registry.hpp"

namespace fs = std::filesystem;

namespace {

// What the CLI does before any MPI work: read the text, then plan it (the
// names that data/, models/ and cluster/ own are checked there).
cp::StudyConfig parse_study(const std::string& text, const std::string& origin,
                            const std::vector<std::string>& overrides = {}) {
  return cp::make_plan(cp::parse_study(text, origin, overrides)).study;
}

// Lines 1-7; the error tests append from line 8 on.
const std::string kBase =
    "study: demo\n"
    "output: out/demo\n"
    "grid:\n"
    "  dataset: [synthetic/gmm, fmnist/pairs-similar]\n"
    "  architecture: [mlp, cnn]\n"
    "  normalization: batch\n"
    "  seed: [0, 1, 2]\n";

std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
  try {
    parse_study(text, "study.yaml", overrides);
  } catch (const cp::ConfigError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no ConfigError for:\n" << text;
  return {};
}

// The message must start with "<location>: <key>: " and mention `problem`.
void expect_error(const std::string& text, const std::string& location, const std::string& key,
                  const std::string& problem, const std::vector<std::string>& overrides = {}) {
  const std::string msg = error_of(text, overrides);
  const std::string prefix = location + ": " + key + ": ";
  EXPECT_EQ(msg.rfind(prefix, 0), 0u) << "message: " << msg << "\nexpected prefix: " << prefix;
  EXPECT_NE(msg.find(problem), std::string::npos)
      << "message: " << msg << "\nexpected: " << problem;
  EXPECT_EQ(msg.find(key + ": " + key + ":"), std::string::npos) << "the key said twice: " << msg;
}

void expect_line_error(const std::string& extra, int line, const std::string& key,
                       const std::string& problem) {
  expect_error(kBase + extra, "study.yaml:" + std::to_string(line), key, problem);
}

}  // namespace

TEST(Config, FileRoundTripWithDefaultsAndOverrides) {
  const fs::path dir = fs::temp_directory_path() / ("cp_test_config_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string path = (dir / "study.yaml").string();
  std::ofstream(path) << kBase
                      << "train: {epochs: 3, lr: 0.1, schedule: step, step_size: 2}\n"
                         "extract: {layers: [input, logits], spatial: max}\n"
                         "cluster: {preprocess: [center, l2]}\n"
                         "data:\n  synthetic: {coarse: 2, fine: 4, separation: 5.5}\n";
  const cp::StudyConfig s =
      cp::load_study(path, {"train.epochs=1", "grid.seed=[4,5]", "metrics=ami"});
  EXPECT_EQ(s.study, "demo");
  EXPECT_EQ(s.output, "out/demo");
  EXPECT_EQ(s.source_path, path);
  EXPECT_EQ(s.grid.normalization, std::vector<std::string>{"batch"});  // scalar = one-element axis
  EXPECT_EQ(s.grid.pretraining, std::vector<std::string>{"none"});
  EXPECT_EQ(s.grid.seed, (std::vector<int>{4, 5}));
  EXPECT_EQ(s.train.epochs, 1);
  EXPECT_DOUBLE_EQ(s.train.lr, 0.1);
  EXPECT_EQ(s.train.schedule, "step");
  EXPECT_EQ(s.train.step_size, 2);
  EXPECT_EQ(s.train.batch_size, 128);  // defaults
  EXPECT_DOUBLE_EQ(s.train.weight_decay, 5.0e-4);
  EXPECT_EQ(s.cluster.kmeans.restarts, 10);
  EXPECT_EQ(s.extract.layers, (std::vector<std::string>{"input", "logits"}));
  EXPECT_EQ(s.extract.spatial, "max");
  EXPECT_EQ(s.cluster.preprocess, (std::vector<std::string>{"center", "l2"}));
  EXPECT_EQ(s.metrics, std::vector<cp::Measure>{cp::Measure::ami});
  EXPECT_EQ(s.data.synthetic_coarse, 2);
  EXPECT_EQ(s.data.synthetic_fine, 4);
  EXPECT_DOUBLE_EQ(s.data.synthetic_separation, 5.5);
  EXPECT_EQ(s.data.synthetic_dim, 32);

  // The resolved text holds every default and reads back to the same config.
  for (const char* key : {"weight_decay: 5.0e-04", "threads: 0", "restarts: 10", "backend: auto",
                          "fmnist_dir: /usr/share/datasets/fashion-mnist", "separation: 5.5"}) {
    EXPECT_NE(s.resolved_yaml.find(key), std::string::npos) << key << " in\n" << s.resolved_yaml;
  }
  const cp::StudyConfig again = parse_study(s.resolved_yaml, "resolved.yaml");
  EXPECT_EQ(again.resolved_yaml, s.resolved_yaml);
  fs::remove_all(dir);
}

TEST(Config, ResolvedYamlKeepsFixedKeyOrder) {
  const std::string text = parse_study(kBase, "study.yaml").resolved_yaml;
  EXPECT_EQ(text.rfind("study: demo\n", 0), 0u) << text;
  std::size_t last = 0;
  for (const char* key :
       {"output:", "grid:", "train:", "extract:", "cluster:", "metrics:", "parallel:", "data:"}) {
    const std::size_t pos = text.find(std::string("\n") + key);
    ASSERT_NE(pos, std::string::npos) << key << " in\n" << text;
    EXPECT_GT(pos, last) << key;
    last = pos;
  }
}

TEST(Config, SyntaxErrorNamesFileAndLine) {
  expect_error("study: x\ngrid: [a, b\nc: 1\n", "study.yaml:3", "(syntax)", "");
}

TEST(Config, MissingFile) {
  try {
    cp::load_study("/nonexistent/study.yaml");
    FAIL() << "no error";
  } catch (const cp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "/nonexistent/study.yaml: no such study file");
  }
}

TEST(Config, ErrorsFromALoadedFileNameIt) {
  const fs::path path =
      fs::temp_directory_path() / ("cp_bad_" + std::to_string(::getpid()) + ".yaml");
  std::ofstream(path) << kBase << "train:\n  epochs: many\n";
  try {
    cp::load_study(path.string());
    FAIL() << "no error";
  } catch (const cp::ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  path.string() + ":9: train.epochs: expected an integer, got 'many'", 0),
              0u)
        << e.what();
  }
  fs::remove(path);
}

TEST(Config, UnknownKeysListTheKnownOnes) {
  expect_line_error("trian:\n  epochs: 1\n", 8, "trian", "known keys at top level: study, output");
  expect_line_error("train:\n  lr: 0.1\n  epoch: 1\n", 10, "train.epoch",
                    "known keys of train: epochs, batch_size");
  expect_line_error("data:\n  synthetic: {coarse: 2, colour: red}\n", 9, "data.synthetic.colour",
                    "unknown key");
  expect_line_error("train:\n  lr: 0.1\n  lr: 0.2\n", 10, "train.lr", "duplicate key");
}

TEST(Config, WrongTypes) {
  expect_line_error("train:\n  epochs: abc\n", 9, "train.epochs", "expected an integer, got 'abc'");
  expect_line_error("train:\n  epochs: 1.5\n", 9, "train.epochs", "expected an integer, got '1.5'");
  expect_line_error("train:\n  lr: fast\n", 9, "train.lr", "expected a number, got 'fast'");
  expect_line_error("train: [1, 2]\n", 8, "train", "expected a mapping, got a list");
  expect_line_error("train:\n  optimizer: {name: sgd}\n", 9, "train.optimizer",
                    "expected a string, got a mapping");
  expect_line_error("metrics: {ami: 1}\n", 8, "metrics", "expected a list, got a mapping");
  expect_error(
      "study: demo\noutput: o\ngrid:\n  dataset: synthetic/gmm\n  architecture: mlp\n"
      "  normalization: none\n  seed: [0,\n    x]\n",
      "study.yaml:8", "grid.seed", "expected an integer, got 'x'");
}

TEST(Config, MissingAndEmptyValues) {
  expect_error(
      "output: o\ngrid: {dataset: synthetic/gmm, architecture: mlp, normalization: none}\n",
      "study.yaml:1", "study", "missing required key");
  expect_error("study: s\noutput: o\ngrid:\n  architecture: mlp\n  normalization: none\n",
               "study.yaml:4", "grid.dataset", "missing required key");
  expect_error(
      "study: s\noutput: o\ngrid:\n  dataset: synthetic/gmm\n  architecture: []\n"
      "  normalization: none\n",
      "study.yaml:5", "grid.architecture", "must not be an empty list");
  expect_error(
      "study: ''\noutput: o\ngrid: {dataset: synthetic/gmm, architecture: mlp, normalization: "
      "none}\n",
      "study.yaml:1", "study", "must not be empty");
  expect_error("", "study.yaml:1", "study", "missing required key");
  expect_line_error("train:\n  epochs:\n  lr: 0.1\n", 9, "train.epochs", "missing value");
}

TEST(Config, ImpossibleValues) {
  expect_line_error("train: {epochs: -1}\n", 8, "train.epochs", "must be >= 0, got -1");
  expect_line_error("train: {batch_size: 0}\n", 8, "train.batch_size", "must be >= 1, got 0");
  expect_line_error("train: {lr: 0}\n", 8, "train.lr", "must be > 0.0, got 0");
  expect_line_error("train: {momentum: 1.0}\n", 8, "train.momentum",
                    "must be in [0.0, 1.0), got 1.0");
  expect_line_error("train: {max_samples: -5}\n", 8, "train.max_samples", "must be >= 0, got -5");
  expect_line_error("extract: {max_samples: -1}\n", 8, "extract.max_samples", "must be >= 0");
  expect_line_error("cluster: {restarts: 0}\n", 8, "cluster.restarts", "must be >= 1, got 0");
  expect_line_error("data:\n  synthetic: {separation: 0}\n", 9, "data.synthetic.separation",
                    "must be > 0.0");
  expect_line_error("parallel: {ranks_per_run: 0}\n", 8, "parallel.ranks_per_run",
                    "must be >= 1, got 0");
  expect_line_error("train: {sync_batchnorm: maybe}\n", 8, "train.sync_batchnorm",
                    "expected true or false, got 'maybe'");
}

TEST(Config, UnknownNames) {
  auto grid = [](const std::string& dataset, const std::string& arch, const std::string& norm) {
    return "study: s\noutput: o\ngrid:\n  dataset: [synthetic/gmm, " + dataset +
           "]\n  architecture: [" + arch + "]\n  normalization: [" + norm + "]\n";
  };
  expect_error(grid("mnist/pairs", "mlp", "none"), "study.yaml:4", "grid.dataset",
               "unknown dataset 'mnist/pairs'");
  expect_error(grid("fmnist/nope", "mlp", "none"), "study.yaml:4", "grid.dataset",
               "unknown hierarchy 'nope' (available in");
  EXPECT_NE(error_of(grid("fmnist/nope", "mlp", "none")).find("pairs-similar"), std::string::npos);
  expect_error(grid("synthetic/blobs", "mlp", "none"), "study.yaml:4", "grid.dataset",
               "unknown dataset");
  expect_error(grid("fmnist/pairs-similar", "mlp, resnet21", "none"), "study.yaml:5",
               "grid.architecture", "unknown architecture 'resnet21'");
  expect_error(grid("fmnist/pairs-similar", "mlp", "batch, weight"), "study.yaml:6",
               "grid.normalization", "unknown value 'weight'");
  expect_line_error("metrics: [ami, purity]\n", 8, "metrics",
                    "unknown value 'purity' (known: ami, ari, nmi, accuracy, silhouette, nc1, "
                    "selectivity, cka, community)");
  expect_line_error("cluster:\n  methods: [dbscan]\n", 9, "cluster.methods",
                    "unknown value 'dbscan'");
  expect_line_error("cluster:\n  preprocess: [sphere]\n", 9, "cluster.preprocess",
                    "unknown step 'sphere'");
  expect_line_error("cluster:\n  preprocess: [pca:1.5]\n", 9, "cluster.preprocess", "pca");
  expect_line_error("parallel: {backend: gloo}\n", 8, "parallel.backend",
                    "unknown value 'gloo' (known: auto, mpi, nccl)");
  expect_line_error("extract: {split: val}\n", 8, "extract.split", "unknown value 'val'");
  expect_line_error("metrics: [ami, ami]\n", 8, "metrics", "duplicate value 'ami'");
}

TEST(Config, LayersMustBeProbePointsOfEveryArchitecture) {
  // kBase trains mlp and cnn: "block1" exists only in cnn.
  expect_line_error("extract:\n  layers:\n    - input\n    - block1\n", 11, "extract.layers",
                    "'block1' is not a probe point of architecture 'mlp'");
  expect_line_error("extract: {layers: [all, logits]}\n", 8, "extract.layers",
                    "'all' cannot be combined");
  EXPECT_NO_THROW(parse_study(kBase + "extract: {layers: [input, logits]}\n", "study.yaml"));
  EXPECT_NO_THROW(parse_study(kBase + "extract: {layers: all}\n", "study.yaml"));
}

TEST(Config, OverrideErrorsNameTheOverride) {
  expect_error(kBase, "override 'train.epochs'", "(override)", "expected key=value",
               {"train.epochs"});
  expect_error(kBase, "override 'train.epoch=1'", "train.epoch",
               "unknown key (known keys of train:", {"train.epoch=1"});
  expect_error(kBase, "override 'trian.epochs=1'", "trian", "unknown key", {"trian.epochs=1"});
  expect_error(kBase, "override 'train.lr=-1'", "train.lr", "must be > 0.0, got -1",
               {"train.lr=-1"});
  expect_error(kBase, "override 'grid.seed=[0, x]'", "grid.seed", "expected an integer, got 'x'",
               {"grid.seed=[0, x]"});
  expect_error(kBase, "override 'grid.seed.x=1'", "grid.seed", "not a mapping", {"grid.seed.x=1"});
  expect_error(kBase, "override 'train..lr=1'", "train..lr", "dotted key", {"train..lr=1"});
  expect_error(kBase, "override 'grid.seed=[0'", "grid.seed", "invalid YAML value",
               {"grid.seed=[0"});
  // A later override of a parent replaces the earlier one's subtree.
  expect_error(kBase, "override 'train={epochs: x}'", "train.epochs", "expected an integer",
               {"train.epochs=1", "train={epochs: x}"});
  // Errors in the file stay the file's, even when an override touched a sibling.
  expect_error(kBase + "train:\n  lr: 0\n", "study.yaml:9", "train.lr", "must be > 0.0",
               {"train.epochs=2"});
}

TEST(Config, OverridesCreateSectionsAndReplaceValues) {
  const cp::StudyConfig s = parse_study(kBase, "study.yaml",
                                        {"train.epochs=7", "data.synthetic.seed=3", "grid.seed=9",
                                         "extract.layers=[logits]", " cluster.restarts = 4"});
  EXPECT_EQ(s.train.epochs, 7);
  EXPECT_EQ(s.data.synthetic_seed, 3);
  EXPECT_EQ(s.grid.seed, std::vector<int>{9});
  EXPECT_EQ(s.extract.layers, std::vector<std::string>{"logits"});
  EXPECT_EQ(s.cluster.kmeans.restarts, 4);
  EXPECT_EQ(s.grid.architecture, (std::vector<std::string>{"mlp", "cnn"}));  // untouched siblings
}

TEST(Config, GridExpandsInStableOrder) {
  const cp::StudyConfig s = parse_study(kBase, "study.yaml", {"grid.normalization=[batch, none]"});
  const std::vector<cp::RunSpec> runs = cp::expand_grid(s);
  ASSERT_EQ(runs.size(), 2u * 2u * 2u * 1u * 3u);
  // dataset slowest ... seed fastest
  EXPECT_EQ(runs[0].dataset, "synthetic/gmm");
  EXPECT_EQ(runs[0].architecture, "mlp");
  EXPECT_EQ(runs[0].normalization, "batch");
  EXPECT_EQ(runs[0].seed, 0);
  EXPECT_EQ(runs[1].seed, 1);
  EXPECT_EQ(runs[3].normalization, "none");
  EXPECT_EQ(runs[6].architecture, "cnn");
  EXPECT_EQ(runs[12].dataset, "fmnist/pairs-similar");
  EXPECT_EQ(runs[23].seed, 2);
  std::set<std::string> ids;
  for (const auto& r : runs) {
    ids.insert(r.id);
    EXPECT_EQ(r.id.size(), 16u);
    EXPECT_EQ(r.id, cp::content_hash(r.resolved_yaml));
    EXPECT_EQ(r.extract.layers, cp::probe_points(r.architecture));  // "all" resolved per run
    EXPECT_GT(r.cost, 0);
  }
  EXPECT_EQ(ids.size(), runs.size());
  EXPECT_GT(runs[6].cost, runs[0].cost);  // cnn costs more than mlp on the same data
}

TEST(Config, RunIdsAreStableAndFollowWhatDeterminesTheRun) {
  auto first_id = [](const std::vector<std::string>& overrides) {
    return cp::expand_grid(parse_study(kBase, "study.yaml", overrides)).front().id;
  };
  const std::string id = first_id({});
  EXPECT_EQ(first_id({}), id);
  EXPECT_NE(first_id({"train.epochs=6"}), id);
  EXPECT_NE(first_id({"train.lr=0.01"}), id);
  EXPECT_NE(first_id({"extract.split=train"}), id);
  EXPECT_NE(first_id({"data.synthetic.seed=1"}), id);  // the first run is synthetic
  // Not part of the run: resources, other datasets' settings, clustering, unused schedule fields.
  EXPECT_EQ(first_id({"train.threads=2"}), id);
  EXPECT_EQ(first_id({"data.fmnist_dir=/elsewhere"}), id);
  EXPECT_EQ(first_id({"cluster.restarts=3", "metrics=[ami]", "output=o2", "study=other"}), id);
  EXPECT_EQ(first_id({"train.gamma=0.5"}), id);  // schedule is cosine
  EXPECT_NE(first_id({"train.schedule=step"}), id);
}

TEST(Config, ContentHashIsFnv1a64) {
  // Reference values: the FNV-1a 64-bit test vectors of Fowler, Noll and Vo.
  EXPECT_EQ(cp::content_hash(""), "cbf29ce484222325");
  EXPECT_EQ(cp::content_hash("a"), "af63dc4c8601ec8c");
  EXPECT_EQ(cp::content_hash("foobar"), "85944171f73967e8");
}
