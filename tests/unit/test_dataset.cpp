// Datasets: the synthetic mixture, stratified subsets and Fashion-MNIST.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/data/idx.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kFmnistDir = "/usr/share/datasets/fashion-mnist";

bool have_fmnist() { return fs::exists(kFmnistDir + "/train-images-idx3-ubyte.gz"); }

cp::DataConfig small_mixture(int seed = 7) {
  cp::DataConfig cfg;
  cfg.synthetic_coarse = 3;
  cfg.synthetic_fine = 2;
  cfg.synthetic_dim = 5;
  cfg.synthetic_train_per_fine = 10;
  cfg.synthetic_test_per_fine = 4;
  cfg.synthetic_seed = seed;
  return cfg;
}

void expect_same(const cp::Split& a, const cp::Split& b) {
  EXPECT_EQ(a.x, b.x);
  EXPECT_EQ(a.fine, b.fine);
  EXPECT_EQ(a.coarse, b.coarse);
  EXPECT_EQ(a.index, b.index);
}

std::map<int, int> class_counts(const cp::Split& s) {
  std::map<int, int> n;
  for (int f : s.fine) ++n[f];
  return n;
}

// Nearest class mean (means from `train`) accuracy on `test`, by fine label.
double nearest_mean_accuracy(const cp::Dataset& ds) {
  const std::int64_t d = ds.sample_size();
  std::vector<std::vector<double>> mean(ds.hierarchy.num_fine(), std::vector<double>(d, 0.0));
  std::vector<int> n(ds.hierarchy.num_fine(), 0);
  for (std::int64_t r = 0; r < ds.train.size(); ++r) {
    ++n[ds.train.fine[r]];
    for (std::int64_t k = 0; k < d; ++k) mean[ds.train.fine[r]][k] += ds.train.x[r * d + k];
  }
  for (std::size_t f = 0; f < mean.size(); ++f) {
    for (double& v : mean[f]) v /= n[f];
  }
  int correct = 0;
  for (std::int64_t r = 0; r < ds.test.size(); ++r) {
    int best = -1;
    double best_dist = 0;
    for (std::size_t f = 0; f < mean.size(); ++f) {
      double dist = 0;
      for (std::int64_t k = 0; k < d; ++k) dist += std::pow(ds.test.x[r * d + k] - mean[f][k], 2);
      if (best < 0 || dist < best_dist) best = static_cast<int>(f), best_dist = dist;
    }
    correct += best == ds.test.fine[r];
  }
  return static_cast<double>(correct) / static_cast<double>(ds.test.size());
}

}  // namespace

TEST(Synthetic, ShapesAndLabelsFollowTheHierarchy) {
  const cp::Dataset ds = cp::load_dataset("synthetic/gmm", small_mixture());
  EXPECT_EQ(ds.spec, "synthetic/gmm");
  EXPECT_EQ(ds.sample_shape, std::vector<std::int64_t>{5});
  EXPECT_EQ(ds.sample_size(), 5);
  EXPECT_EQ(ds.hierarchy.num_coarse(), 3);
  EXPECT_EQ(ds.hierarchy.num_fine(), 6);
  EXPECT_EQ(ds.hierarchy.subclasses[1], (std::vector<int>{2, 3}));
  for (const cp::Split* s : {&ds.train, &ds.test}) {
    const int per_fine = s == &ds.train ? 10 : 4;
    ASSERT_EQ(s->size(), 6 * per_fine);
    EXPECT_EQ(s->x.size(), static_cast<std::size_t>(s->size() * 5));
    for (std::int64_t r = 0; r < s->size(); ++r) {
      EXPECT_EQ(s->coarse[r], s->fine[r] / 2);  // fine = coarse * fine_per + j
      EXPECT_EQ(s->coarse[r], ds.hierarchy.fine_to_coarse[s->fine[r]]);
      EXPECT_EQ(s->index[r], r);
    }
    for (const auto& [label, count] : class_counts(*s)) EXPECT_EQ(count, per_fine) << label;
    EXPECT_FALSE(std::is_sorted(s->fine.begin(), s->fine.end()));  // shuffled
  }
}

TEST(Synthetic, DeterministicPerSeed) {
  const cp::Dataset a = cp::load_dataset("synthetic/gmm", small_mixture());
  const cp::Dataset b = cp::load_dataset("synthetic/gmm", small_mixture());
  expect_same(a.train, b.train);
  expect_same(a.test, b.test);
  EXPECT_NE(a.train.x, cp::load_dataset("synthetic/gmm", small_mixture(8)).train.x);

  // The splits draw from separate streams: more training data leaves the test split alone.
  cp::DataConfig more = small_mixture();
  more.synthetic_train_per_fine = 50;
  expect_same(cp::load_dataset("synthetic/gmm", more).test, a.test);
}

TEST(Synthetic, SubclassesAreSeparated) {
  // Defaults: 3 x 3 classes in 32 dimensions, subclass centres 4 apart from their
  // superclass centre, unit noise: nearest-mean classification is almost perfect.
  const cp::Dataset ds = cp::load_dataset("synthetic/gmm", cp::DataConfig{});
  EXPECT_GT(nearest_mean_accuracy(ds), 0.97);
}

TEST(Synthetic, RejectsImpossibleSizes) {
  cp::DataConfig cfg = small_mixture();
  cfg.synthetic_fine = 0;
  EXPECT_THROW(cp::load_dataset("synthetic/gmm", cfg), cp::ConfigError);
}

TEST(Dataset, UnknownSpecs) {
  EXPECT_THROW(cp::load_dataset("cifar10/pairs", cp::DataConfig{}), cp::ConfigError);
  EXPECT_THROW(cp::load_dataset("synthetic/blobs", cp::DataConfig{}), cp::ConfigError);
  EXPECT_THROW(cp::load_dataset("fmnist/nope", cp::DataConfig{}), cp::ConfigError);
  EXPECT_THROW(cp::load_dataset("fmnist", cp::DataConfig{}), cp::ConfigError);
  EXPECT_NO_THROW(cp::check_dataset_spec("fmnist/pairs-unrelated", cp::DataConfig{}));
}

TEST(Subsample, StratifiedDeterministicAndOrdered) {
  // 100 rows, classes 0/1/2 of sizes 50/30/20, interleaved; x holds the row twice.
  cp::Split s;
  for (int r = 0; r < 100; ++r) {
    s.fine.push_back(r % 10 < 5 ? 0 : (r % 10 < 8 ? 1 : 2));
    s.coarse.push_back(0);
    s.index.push_back(1000 + r);
    s.x.insert(s.x.end(), {static_cast<float>(r), static_cast<float>(r)});
  }
  const cp::Split sub = cp::subsample(s, 2, 10, 42);
  ASSERT_EQ(sub.size(), 10);
  EXPECT_EQ(class_counts(sub), (std::map<int, int>{{0, 5}, {1, 3}, {2, 2}}));
  EXPECT_TRUE(std::is_sorted(sub.index.begin(), sub.index.end()));  // original order kept
  for (std::int64_t r = 0; r < sub.size(); ++r) {
    const std::int64_t row = sub.index[r] - 1000;
    EXPECT_EQ(sub.x[2 * r], static_cast<float>(row));
    EXPECT_EQ(sub.fine[r], s.fine[row]);
  }
  expect_same(cp::subsample(s, 2, 10, 42), sub);
  EXPECT_NE(cp::subsample(s, 2, 10, 43).index, sub.index);

  // A larger budget keeps the rows of a smaller one.
  const cp::Split bigger = cp::subsample(s, 2, 20, 42);
  EXPECT_EQ(class_counts(bigger), (std::map<int, int>{{0, 10}, {1, 6}, {2, 4}}));
  EXPECT_TRUE(
      std::includes(bigger.index.begin(), bigger.index.end(), sub.index.begin(), sub.index.end()));

  expect_same(cp::subsample(s, 2, 0, 1), s);    // 0 = all
  expect_same(cp::subsample(s, 2, 500, 1), s);  // more than there is = all
}

TEST(Subsample, QuotasSumExactly) {
  cp::Split s;
  for (int r = 0; r < 7; ++r) {  // classes of 3, 2, 1, 1 rows
    s.fine.push_back(r < 3 ? 0 : (r < 5 ? 1 : r - 3));
    s.coarse.push_back(0);
    s.index.push_back(r);
    s.x.push_back(0.0f);
  }
  for (std::int64_t m = 1; m < 7; ++m) EXPECT_EQ(cp::subsample(s, 1, m, 5).size(), m);
  EXPECT_EQ(class_counts(cp::subsample(s, 1, 4, 5)).at(0), 2);  // 4 * 3/7 = 1.71 -> 2
}

TEST(FashionMnist, PairsSimilarLoadsBothSplits) {
  if (!have_fmnist())
    GTEST_SKIP() << kFmnistDir << " not installed (Debian: dataset-fashion-mnist)";
  const cp::Dataset ds = cp::load_dataset("fmnist/pairs-similar", cp::DataConfig{});
  EXPECT_EQ(ds.sample_shape, (std::vector<std::int64_t>{1, 28, 28}));
  ASSERT_EQ(ds.train.size(), 60000);
  ASSERT_EQ(ds.test.size(), 10000);
  EXPECT_EQ(ds.train.x.size(), 60000u * 784u);
  const int tops = 0, shirt = 6, coat = 4, pullover = 2;
  for (const cp::Split* s : {&ds.train, &ds.test}) {
    for (std::int64_t r = 0; r < s->size(); ++r) {
      ASSERT_EQ(s->coarse[r], ds.hierarchy.fine_to_coarse[s->fine[r]]);
      ASSERT_EQ(s->index[r], r);  // every class is used: nothing dropped
    }
  }
  EXPECT_EQ(ds.hierarchy.fine_to_coarse[tops], ds.hierarchy.fine_to_coarse[shirt]);
  EXPECT_EQ(ds.hierarchy.fine_to_coarse[coat], ds.hierarchy.fine_to_coarse[pullover]);
  // Normalised with the training set's own statistics: mean ~0, sd ~1.
  double sum = 0, sum2 = 0;
  for (float v : ds.train.x) sum += v, sum2 += double(v) * v;
  const double n = static_cast<double>(ds.train.x.size());
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(std::sqrt(sum2 / n - (sum / n) * (sum / n)), 1.0, 0.01);
  EXPECT_FLOAT_EQ(*std::min_element(ds.test.x.begin(), ds.test.x.end()), -0.2860f / 0.3530f);
}

TEST(FashionMnist, DropsClassesOutsideTheHierarchy) {
  if (!have_fmnist()) GTEST_SKIP() << kFmnistDir << " not installed";
  const fs::path dir =
      fs::temp_directory_path() / ("cp_test_dataset_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "shoes.yaml") << "name: shoes\n"
                                       "classes: [T-shirt/top, Trouser, Pullover, Dress, Coat, "
                                       "Sandal, Shirt, Sneaker, Bag, Ankle boot]\n"
                                       "superclasses:\n  shoes: [Sandal, Sneaker, Ankle boot]\n";
  cp::DataConfig cfg;
  cfg.hierarchy_dir = dir.string();
  const cp::Dataset ds = cp::load_dataset("fmnist/shoes", cfg);
  EXPECT_EQ(ds.train.size(), 18000);
  EXPECT_EQ(ds.test.size(), 3000);
  EXPECT_EQ((std::set<int>(ds.test.fine.begin(), ds.test.fine.end())), (std::set<int>{5, 7, 9}));
  // index holds rows of the full split, in order.
  EXPECT_TRUE(std::is_sorted(ds.test.index.begin(), ds.test.index.end()));
  const cp::IdxArray labels = cp::read_idx(kFmnistDir + "/t10k-labels-idx1-ubyte.gz");
  for (std::int64_t r = 0; r < ds.test.size(); ++r) {
    ASSERT_EQ(labels.data[ds.test.index[r]], ds.test.fine[r]) << r;
  }
  fs::remove_all(dir);
}

TEST(FashionMnist, CorruptOrMissingFiles) {
  const fs::path dir = fs::temp_directory_path() / ("cp_test_fmnist_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  cp::DataConfig cfg;
  cfg.fmnist_dir = dir.string();
  try {
    cp::load_dataset("fmnist/pairs-similar", cfg);
    FAIL() << "no error";
  } catch (const cp::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train-images-idx3-ubyte.gz"), std::string::npos)
        << e.what();
  }

  // 3 images but 2 labels.
  auto write = [&](const char* name, std::vector<std::uint8_t> header, std::size_t payload) {
    header.resize(header.size() + payload, 0);
    gzFile f = gzopen((dir / name).c_str(), "wb");
    gzwrite(f, header.data(), static_cast<unsigned>(header.size()));
    gzclose(f);
  };
  write("train-images-idx3-ubyte.gz", {0, 0, 8, 3, 0, 0, 0, 3, 0, 0, 0, 28, 0, 0, 0, 28}, 3 * 784);
  write("train-labels-idx1-ubyte.gz", {0, 0, 8, 1, 0, 0, 0, 2}, 2);
  try {
    cp::load_dataset("fmnist/pairs-similar", cfg);
    FAIL() << "no error";
  } catch (const cp::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("train-labels-idx1-ubyte.gz: 2 labels for 3 images"),
              std::string::npos)
        << e.what();
  }
  fs::remove_all(dir);
}

// Issue 21, item 6: a hierarchy is matched to Fashion-MNIST's classes by name.
// An alphabetised `classes:` list used to relabel the data by position
// ("tops" became Bag + Shirt); it is the same hierarchy, with the same
// identity (and so the same run ids). A name the dataset lacks is an
// InputError naming the file, the line and the name.
TEST(FashionMnist, HierarchyClassesAreMatchedByName) {
  const fs::path dir = fs::temp_directory_path() / ("cp_test_names_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const std::string pairs =
      "superclasses:\n  tops: [T-shirt/top, Shirt]\n  outerwear: [Pullover, Coat]\n  shoes: [Sandal, Sneaker]\n"
      "  long: [Trouser, Dress]\n  accessories: [Bag, Ankle boot]\n";
  std::ofstream(dir / "alpha.yaml") << "name: alpha\nclasses: [Ankle boot, Bag, Coat, Dress, Pullover, Sandal, "
                                       "Shirt, Sneaker, T-shirt/top, Trouser]\n"
                                    << pairs;
  std::ofstream(dir / "cifar.yaml") << "name: cifar\nclasses: [airplane, automobile, bird, cat, deer, dog, frog, "
                                       "horse, ship, truck]\nsuperclasses:\n  a: [airplane, automobile]\n";
  cp::DataConfig cfg;
  const std::string builtin = cp::data_identity("fmnist/pairs-similar", cfg);
  cfg.hierarchy_dir = dir.string();
  EXPECT_EQ(cp::data_identity("fmnist/alpha", cfg), builtin);
  EXPECT_NE(builtin.find("tops: [T-shirt/top] [Shirt]"), std::string::npos) << builtin;
  try {
    cp::check_dataset_spec("fmnist/cifar", cfg);
    ADD_FAILURE() << "a CIFAR-10 hierarchy was accepted for Fashion-MNIST";
  } catch (const cp::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("cifar.yaml:2: classes: 'airplane' is not a class of Fashion-MNIST"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("T-shirt/top, Trouser"), std::string::npos) << msg;
  }
  if (have_fmnist()) {
    const cp::Dataset ds = cp::load_dataset("fmnist/alpha", cfg);
    const cp::IdxArray labels = cp::read_idx(kFmnistDir + "/t10k-labels-idx1-ubyte.gz");
    for (std::int64_t r = 0; r < ds.test.size(); ++r) {  // label 0 (T-shirt/top) and 6 (Shirt) are tops
      ASSERT_EQ(ds.test.fine[r], labels.data[ds.test.index[r]]) << r;
      ASSERT_EQ(ds.test.coarse[r] == 0, ds.test.fine[r] == 0 || ds.test.fine[r] == 6) << r;
    }
  }
  fs::remove_all(dir);
}

// The train stage's loading (files read once for every hierarchy, the
// training split cut before conversion) must give exactly what a run would
// draw from load_dataset: the outputs stay bit-identical.
TEST(FashionMnist, LoadingForRunsEqualsLoadingThenSubsampling) {
  if (!have_fmnist()) GTEST_SKIP() << kFmnistDir << " not installed";
  cp::DataConfig cfg;
  cfg.fmnist_dir = kFmnistDir;
  cp::DecodedFiles decoded;
  for (const char* spec : {"fmnist/pairs-similar", "fmnist/fmnist-breeds:target", "fmnist/fmnist-breeds:source"}) {
    for (const std::int64_t keep : {0, 500}) {
      SCOPED_TRACE(std::string(spec) + " keep " + std::to_string(keep));
      const cp::Dataset full = cp::load_dataset(spec, cfg);
      const cp::Dataset runs = cp::load_dataset_for_runs(spec, cfg, keep, decoded);
      EXPECT_EQ(runs.hierarchy.fine_to_coarse, full.hierarchy.fine_to_coarse);
      EXPECT_EQ(runs.sample_shape, full.sample_shape);
      expect_same(runs.test, full.test);
      const cp::Split drawn = cp::subsample(full.train, full.sample_size(), keep, cp::kSubsampleSeed);
      expect_same(runs.train, drawn);
      expect_same(cp::subsample(runs.train, runs.sample_size(), keep, cp::kSubsampleSeed), drawn);
    }
  }
  EXPECT_EQ(decoded.fmnist.size(), 1u);  // one directory, read once
}
