// BREEDS-style ":source" / ":target" domain splits of any dataset with a hierarchy.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace {

cp::DataConfig small_synthclust() {
  cp::DataConfig cfg;
  cfg.synthclust_train_per_cluster = 4;
  cfg.synthclust_test_per_cluster = 2;
  return cfg;
}

std::set<int> fine_set(const cp::Split& s) { return {s.fine.begin(), s.fine.end()}; }

}  // namespace

TEST(DomainSplit, HalvesShareSuperclassesButNoSubclass) {
  const cp::DataConfig cfg = small_synthclust();
  const cp::Dataset all = cp::load_dataset("synthetic/synthclust", cfg);
  const cp::Dataset src = cp::load_dataset("synthetic/synthclust:source", cfg);
  const cp::Dataset tgt = cp::load_dataset("synthetic/synthclust:target", cfg);
  EXPECT_EQ(src.spec, "synthetic/synthclust:source");
  EXPECT_EQ(src.hierarchy.name, "synthclust:source");
  EXPECT_EQ(tgt.hierarchy.name, "synthclust:target");
  EXPECT_EQ(src.hierarchy.coarse_names, all.hierarchy.coarse_names);
  EXPECT_EQ(src.hierarchy.fine_names, all.hierarchy.fine_names);  // labels unchanged
  for (int c = 0; c < 2; ++c) {
    // 15 subclasses: the first 8 by label are source, the last 7 target.
    const auto& whole = all.hierarchy.subclasses[c];
    EXPECT_EQ(src.hierarchy.subclasses[c], std::vector<int>(whole.begin(), whole.begin() + 8));
    EXPECT_EQ(tgt.hierarchy.subclasses[c], std::vector<int>(whole.begin() + 8, whole.end()));
  }
  EXPECT_EQ(src.hierarchy.num_used_fine(), 16);
  EXPECT_EQ(tgt.hierarchy.num_used_fine(), 14);
  EXPECT_EQ(src.train.size(), 16 * 4);
  EXPECT_EQ(tgt.test.size(), 14 * 2);

  for (const cp::Split* s : {&src.train, &src.test}) {
    for (int f : fine_set(*s)) EXPECT_EQ(tgt.hierarchy.fine_to_coarse[f], -1) << f;
  }
  for (int f : fine_set(tgt.train)) EXPECT_EQ(src.hierarchy.fine_to_coarse[f], -1) << f;
  EXPECT_EQ((std::set<int>(src.train.coarse.begin(), src.train.coarse.end())),
            (std::set<int>(tgt.train.coarse.begin(), tgt.train.coarse.end())));

  // Rows are those of the whole dataset, found again through their index.
  const std::int64_t d = all.sample_size();
  for (std::int64_t r = 0; r < src.train.size(); ++r) {
    const std::int64_t row = src.train.index[r];
    ASSERT_EQ(all.train.fine[row], src.train.fine[r]);
    ASSERT_EQ(all.train.coarse[row], src.train.coarse[r]);
    ASSERT_EQ(all.train.x[row * d + 7], src.train.x[r * d + 7]);
  }

  EXPECT_EQ(cp::peek_dataset("synthetic/synthclust:target", cfg).train_size, 14 * 4);
}

TEST(DomainSplit, GaussianMixture) {
  cp::DataConfig cfg;
  cfg.synthetic_coarse = 2;
  cfg.synthetic_fine = 5;
  cfg.synthetic_train_per_fine = 3;
  cfg.synthetic_test_per_fine = 1;
  const cp::Dataset tgt = cp::load_dataset("synthetic/gmm:target", cfg);
  EXPECT_EQ(tgt.hierarchy.subclasses, (std::vector<std::vector<int>>{{3, 4}, {8, 9}}));
  EXPECT_EQ(tgt.train.size(), 4 * 3);
  EXPECT_NO_THROW(cp::check_dataset_spec("synthetic/gmm:source", cfg));
  cfg.synthetic_fine = 3;  // 2 + 1: the target half has a single subclass
  EXPECT_NO_THROW(cp::check_dataset_spec("synthetic/gmm:source", cfg));
  EXPECT_THROW(cp::check_dataset_spec("synthetic/gmm:target", cfg), cp::ConfigError);
}

TEST(DomainSplit, FashionMnistBreedsHierarchy) {
  const cp::DataConfig cfg;
  EXPECT_NO_THROW(cp::check_dataset_spec("fmnist/fmnist-breeds:source", cfg));
  EXPECT_NO_THROW(cp::check_dataset_spec("fmnist/fmnist-breeds:target", cfg));
  if (!std::filesystem::exists(cfg.fmnist_dir + "/train-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << cfg.fmnist_dir << " not installed";
  }
  const cp::Dataset src = cp::load_dataset("fmnist/fmnist-breeds:source", cfg);
  const cp::Dataset tgt = cp::load_dataset("fmnist/fmnist-breeds:target", cfg);
  EXPECT_EQ(src.hierarchy.name, "fmnist-breeds:source");
  // clothing = {T-shirt/top 0, Pullover 2, Dress 3, Coat 4, Shirt 6}, other = {1, 5, 7, 8, 9}.
  EXPECT_EQ(src.hierarchy.subclasses, (std::vector<std::vector<int>>{{0, 2, 3}, {1, 5, 7}}));
  EXPECT_EQ(tgt.hierarchy.subclasses, (std::vector<std::vector<int>>{{4, 6}, {8, 9}}));
  EXPECT_EQ(src.train.size(), 36000);  // 6000 per class
  EXPECT_EQ(tgt.train.size(), 24000);
  EXPECT_EQ(tgt.test.size(), 4000);
  EXPECT_EQ(fine_set(tgt.test), (std::set<int>{4, 6, 8, 9}));
}

TEST(DomainSplit, PairsCannotBeSplit) {
  for (const char* spec : {"fmnist/pairs-similar:source", "fmnist/pairs-unrelated:target"}) {
    SCOPED_TRACE(spec);
    try {
      cp::check_dataset_spec(spec, cp::DataConfig{});
      ADD_FAILURE() << "no ConfigError";
    } catch (const cp::ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("domain split needs >= 2 subclasses per superclass; superclass '"),
                std::string::npos)
          << msg;
      EXPECT_NE(msg.find("' has 1 in the"), std::string::npos) << msg;
    }
    EXPECT_THROW(cp::load_dataset(spec, cp::DataConfig{}), cp::ConfigError);
  }
  EXPECT_THROW(cp::check_dataset_spec("fmnist/fmnist-breeds:middle", cp::DataConfig{}),
               cp::ConfigError);
  EXPECT_THROW(cp::check_dataset_spec("synthetic/synthclust:", cp::DataConfig{}), cp::ConfigError);
}
