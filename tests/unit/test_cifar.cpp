// CIFAR-10 and CIFAR-100 binary files: generated in a temporary directory,
// read back exactly, and every kind of corrupt file rejected by name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace fs = std::filesystem;

namespace {

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(fs::temp_directory_path() / ("cp_" + tag + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// Pixel k of channel c of record r of a file's `seed`: varied, reproducible.
std::uint8_t pixel(int seed, int r, int c, int k) {
  return static_cast<std::uint8_t>((seed * 31 + r * 17 + c * 85 + k * 7) % 256);
}

/// Writes records of `labels` (one or two label bytes each) and returns the images.
std::vector<std::uint8_t> write_records(const fs::path& file, int seed,
                                        const std::vector<std::vector<int>>& labels) {
  std::ofstream out(file, std::ios::binary);
  std::vector<std::uint8_t> images;
  for (std::size_t r = 0; r < labels.size(); ++r) {
    for (int l : labels[r]) out.put(static_cast<char>(l));
    for (int c = 0; c < 3; ++c) {
      for (int k = 0; k < 1024; ++k) {
        const std::uint8_t v = pixel(seed, static_cast<int>(r), c, k);
        out.put(static_cast<char>(v));
        images.push_back(v);
      }
    }
  }
  return images;
}

// Per-channel mean and population sd of CHW images scaled to [0, 1].
std::vector<std::pair<double, double>> channel_stats(const std::vector<std::uint8_t>& images) {
  std::vector<std::pair<double, double>> out;
  for (int c = 0; c < 3; ++c) {
    double n = 0, s = 0, s2 = 0;
    for (std::size_t i = 0; i < images.size(); i += 3072) {
      for (int k = 0; k < 1024; ++k) {
        const double v = images[i + c * 1024 + k] / 255.0;
        n += 1, s += v, s2 += v * v;
      }
    }
    out.push_back({s / n, std::sqrt(s2 / n - (s / n) * (s / n))});
  }
  return out;
}

void expect_input_error(const std::string& spec, const cp::DataConfig& cfg,
                        const std::string& file, const std::string& problem) {
  try {
    cp::load_dataset(spec, cfg);
    ADD_FAILURE() << "no InputError for " << file;
  } catch (const cp::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    EXPECT_NE(msg.find(problem), std::string::npos) << msg << "\nexpected: " << problem;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

// CIFAR-10: batches 1..5 hold 2 records each, labels 0..9 in order; test 3 records.
struct Cifar10Files {
  TempDir dir{"cifar10"};
  std::vector<std::uint8_t> train, test;
  Cifar10Files() {
    for (int b = 0; b < 5; ++b) {
      const auto imgs = write_records(dir.path() / ("data_batch_" + std::to_string(b + 1) + ".bin"),
                                      b, {{2 * b}, {2 * b + 1}});
      train.insert(train.end(), imgs.begin(), imgs.end());
    }
    test = write_records(dir.path() / "test_batch.bin", 9, {{3}, {9}, {0}});
  }
  cp::DataConfig cfg() const {
    cp::DataConfig c;
    c.cifar10_dir = dir.path().string();
    return c;
  }
};

}  // namespace

TEST(Cifar10, ReadsRecordsExactly) {
  const Cifar10Files files;
  const cp::Dataset ds = cp::load_dataset("cifar10/cifar10-pairs", files.cfg());
  EXPECT_EQ(ds.spec, "cifar10/cifar10-pairs");
  EXPECT_EQ(ds.sample_shape, (std::vector<std::int64_t>{3, 32, 32}));
  EXPECT_EQ(ds.hierarchy.num_coarse(), 5);
  ASSERT_EQ(ds.train.size(), 10);
  ASSERT_EQ(ds.test.size(), 3);
  EXPECT_EQ(ds.test.fine, (std::vector<std::int32_t>{3, 9, 0}));
  for (std::int64_t r = 0; r < 10; ++r) {
    EXPECT_EQ(ds.train.fine[r], r);      // labels in order across the batches
    EXPECT_EQ(ds.train.coarse[r], r / 2);  // coarse = fine // 2
    EXPECT_EQ(ds.train.index[r], r);
  }
  EXPECT_EQ(ds.test.coarse, (std::vector<std::int32_t>{1, 4, 0}));
  // CHW order and normalisation by the training split's per-channel statistics.
  const auto stats = channel_stats(files.train);
  for (const auto* split : {&ds.train, &ds.test}) {
    const auto& raw = split == &ds.train ? files.train : files.test;
    ASSERT_EQ(split->x.size(), raw.size());
    for (std::size_t i = 0; i < raw.size(); i += 97) {
      const auto [mean, sd] = stats[(i % 3072) / 1024];
      EXPECT_NEAR(split->x[i], (raw[i] / 255.0 - mean) / sd, 1e-5) << i;
    }
  }
}

TEST(Cifar10, ClassNamesMustMatchTheHierarchy) {
  const Cifar10Files files;
  std::ofstream(files.dir.path() / "batches.meta.txt")
      << "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
  EXPECT_NO_THROW(cp::load_dataset("cifar10/cifar10-pairs", files.cfg()));
  std::ofstream(files.dir.path() / "batches.meta.txt")
      << "plane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
  // Names are matched: one the files lack is an error at its line, suggesting theirs.
  expect_input_error("cifar10/cifar10-pairs", files.cfg(), "cifar10-pairs.yaml:",
                     "'airplane' is not a class of CIFAR-10 (did you mean 'plane'?)");
  std::ofstream(files.dir.path() / "batches.meta.txt") << "airplane\n";
  expect_input_error("cifar10/cifar10-pairs", files.cfg(), "batches.meta.txt",
                     "expected 10 class names, found 1");
}

TEST(Cifar10, CorruptAndMissingFiles) {
  {
    const Cifar10Files files;
    fs::resize_file(files.dir.path() / "data_batch_3.bin", 3073 + 100);  // a cut-off record
    expect_input_error("cifar10/cifar10-pairs", files.cfg(), "data_batch_3.bin",
                       "not a positive multiple of the 3073-byte");
  }
  {
    const Cifar10Files files;
    write_records(files.dir.path() / "test_batch.bin", 1, {{4}, {10}});
    expect_input_error("cifar10/cifar10-pairs", files.cfg(), "test_batch.bin",
                       "record 1 has fine label 10, outside 0..9");
  }
  {
    const Cifar10Files files;
    fs::remove(files.dir.path() / "test_batch.bin");
    expect_input_error("cifar10/cifar10-pairs", files.cfg(), "test_batch.bin", "cannot open");
  }
  cp::DataConfig unset;  // no directory configured: still an InputError naming the file
  expect_input_error("cifar10/cifar10-pairs", unset, "data_batch_1.bin",
                     "data.cifar10_dir is not set");
}

TEST(Cifar10, SpecsAreCheckedWithoutTheData) {
  cp::DataConfig cfg;
  cfg.cifar10_dir = "/nonexistent/cifar-10";
  EXPECT_NO_THROW(cp::check_dataset_spec("cifar10/cifar10-pairs", cfg));
  EXPECT_NO_THROW(cp::check_dataset_spec("cifar100/coarse20", cfg));
  EXPECT_NO_THROW(cp::check_dataset_spec("cifar100/coarse20:target", cfg));
  EXPECT_THROW(cp::check_dataset_spec("cifar10/nope", cfg), cp::ConfigError);
  EXPECT_THROW(cp::check_dataset_spec("cifar10/", cfg), cp::ConfigError);
  // pairs split into halves of one subclass: nothing left to cluster.
  EXPECT_THROW(cp::check_dataset_spec("cifar10/cifar10-pairs:source", cfg), cp::ConfigError);
  // A 100-class dataset cannot use a 10-class hierarchy.
  EXPECT_THROW(cp::check_dataset_spec("cifar100/cifar10-pairs", cfg), cp::InputError);

  const cp::DatasetInfo none = cp::peek_dataset("cifar10/cifar10-pairs", cfg);
  EXPECT_EQ(none.train_size, 0);
  EXPECT_EQ(none.sample_shape, (std::vector<std::int64_t>{3, 32, 32}));
  const Cifar10Files files;
  const cp::DatasetInfo info = cp::peek_dataset("cifar10/cifar10-pairs", files.cfg());
  EXPECT_EQ(info.train_size, 10);
  EXPECT_EQ(info.test_size, 3);
  EXPECT_EQ(cp::default_augmentation("cifar10/cifar10-pairs"),
            (std::vector<std::string>{"crop", "flip"}));
  EXPECT_EQ(cp::default_augmentation("images/x:source"),
            (std::vector<std::string>{"crop", "flip"}));
  EXPECT_TRUE(cp::default_augmentation("fmnist/pairs-similar").empty());
  EXPECT_TRUE(cp::default_augmentation("synthetic/synthclust").empty());
}

namespace {

// CIFAR-100: 100 training records, fine i in coarse i / 5; 10 test records.
struct Cifar100Files {
  TempDir dir{"cifar100"};
  std::vector<std::uint8_t> train, test;
  explicit Cifar100Files(bool names = false) {
    std::vector<std::vector<int>> labels;
    for (int i = 0; i < 100; ++i) labels.push_back({i / 5, i});
    train = write_records(dir.path() / "train.bin", 0, labels);
    test = write_records(dir.path() / "test.bin", 1, {{19, 99}, {0, 3}, {7, 36}});
    if (names) {
      std::ofstream fine(dir.path() / "fine_label_names.txt");
      for (int i = 0; i < 100; ++i) fine << "f" << i << "\n";
      std::ofstream coarse(dir.path() / "coarse_label_names.txt");
      for (int i = 0; i < 20; ++i) coarse << "c" << i << "\n";
    }
  }
  cp::DataConfig cfg() const {
    cp::DataConfig c;
    c.cifar100_dir = dir.path().string();
    return c;
  }
};

}  // namespace

TEST(Cifar100, Coarse20HierarchyFromTheFiles) {
  const Cifar100Files files;
  const cp::Dataset ds = cp::load_dataset("cifar100/coarse20", files.cfg());
  const cp::Hierarchy& h = ds.hierarchy;
  EXPECT_EQ(h.name, "coarse20");
  ASSERT_EQ(h.num_coarse(), 20);
  ASSERT_EQ(h.num_fine(), 100);
  EXPECT_EQ(h.fine_names[7], "fine_7");
  EXPECT_EQ(h.coarse_names[19], "coarse_19");
  for (int c = 0; c < 20; ++c) {
    EXPECT_EQ(h.subclasses[c],
              (std::vector<int>{5 * c, 5 * c + 1, 5 * c + 2, 5 * c + 3, 5 * c + 4}));
  }
  ASSERT_EQ(ds.train.size(), 100);
  EXPECT_EQ(ds.test.fine, (std::vector<std::int32_t>{99, 3, 36}));
  EXPECT_EQ(ds.test.coarse, (std::vector<std::int32_t>{19, 0, 7}));
  const auto stats = channel_stats(files.train);
  for (std::size_t i = 0; i < files.test.size(); i += 89) {
    const auto [mean, sd] = stats[(i % 3072) / 1024];
    EXPECT_NEAR(ds.test.x[i], (files.test[i] / 255.0 - mean) / sd, 1e-5) << i;
  }
  const cp::DatasetInfo info = cp::peek_dataset("cifar100/coarse20", files.cfg());
  EXPECT_EQ(info.train_size, 100);
  EXPECT_EQ(info.test_size, 3);

  const Cifar100Files named(true);
  const cp::Dataset nd = cp::load_dataset("cifar100/coarse20", named.cfg());
  EXPECT_EQ(nd.hierarchy.fine_names[42], "f42");
  EXPECT_EQ(nd.hierarchy.coarse_names[3], "c3");

  // Target half: the last 2 of every 5 subclasses; rows keep their original index.
  const cp::Dataset target = cp::load_dataset("cifar100/coarse20:target", files.cfg());
  EXPECT_EQ(target.hierarchy.name, "coarse20:target");
  EXPECT_EQ(target.hierarchy.subclasses[2], (std::vector<int>{13, 14}));
  EXPECT_EQ(target.train.size(), 40);
  EXPECT_EQ(target.test.fine, (std::vector<std::int32_t>{99, 3}));  // 36 is in the source half
  EXPECT_EQ(target.test.index, (std::vector<std::int64_t>{0, 1}));
}

TEST(Cifar100, CorruptFiles) {
  {
    const Cifar100Files files;
    // fine class 3 appears with coarse 1 although train.bin puts it in coarse 0.
    write_records(files.dir.path() / "test.bin", 1, {{0, 2}, {1, 3}});
    expect_input_error("cifar100/coarse20", files.cfg(), "test.bin",
                       "record 1 puts fine class 3 in coarse class 1, earlier records in 0");
  }
  {
    const Cifar100Files files;
    write_records(files.dir.path() / "test.bin", 1, {{20, 2}});
    expect_input_error("cifar100/coarse20", files.cfg(), "test.bin",
                       "record 0 has coarse label 20, outside 0..19");
  }
  {
    const Cifar100Files files;
    fs::resize_file(files.dir.path() / "train.bin", 3074 * 100 - 1);
    expect_input_error("cifar100/coarse20", files.cfg(), "train.bin", "3074-byte");
  }
  {
    const Cifar100Files files;
    fs::remove(files.dir.path() / "train.bin");
    expect_input_error("cifar100/coarse20", files.cfg(), "train.bin", "cannot open");
  }
}
