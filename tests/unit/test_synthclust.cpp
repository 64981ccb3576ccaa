// SynthClust: 30 disjoint-support centroids in R^500, 2 classes x 15 clusters.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace {

cp::DataConfig config(int seed = 3) {
  cp::DataConfig cfg;
  cfg.synthclust_train_per_cluster = 100;
  cfg.synthclust_test_per_cluster = 10;
  cfg.synthclust_noise = 0.4;
  cfg.synthetic_seed = seed;
  return cfg;
}

}  // namespace

TEST(SynthClust, ShapesLabelsAndHierarchy) {
  const cp::Dataset ds = cp::load_dataset("synthetic/synthclust", config());
  EXPECT_EQ(ds.sample_shape, std::vector<std::int64_t>{500});
  const cp::Hierarchy& h = ds.hierarchy;
  EXPECT_EQ(h.name, "synthclust");
  ASSERT_EQ(h.num_fine(), 30);
  EXPECT_EQ(h.fine_names[29], "cluster29");
  EXPECT_EQ(h.coarse_names, (std::vector<std::string>{"class0", "class1"}));
  ASSERT_EQ(h.subclasses.size(), 2u);
  EXPECT_EQ(h.subclasses[0].size(), 15u);
  EXPECT_EQ(h.subclasses[1].size(), 15u);
  EXPECT_TRUE(std::is_sorted(h.subclasses[0].begin(), h.subclasses[0].end()));
  // Clusters are shuffled into the classes, not split as 0-14 / 15-29.
  EXPECT_NE(h.subclasses[0], (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}));

  ASSERT_EQ(ds.train.size(), 3000);
  ASSERT_EQ(ds.test.size(), 300);
  std::map<int, int> counts;
  for (std::int64_t r = 0; r < ds.train.size(); ++r) {
    ++counts[ds.train.fine[r]];
    EXPECT_EQ(ds.train.coarse[r], h.fine_to_coarse[ds.train.fine[r]]);
  }
  EXPECT_EQ(counts.size(), 30u);
  for (const auto& [cluster, n] : counts) EXPECT_EQ(n, 100) << cluster;

  const cp::DatasetInfo info = cp::peek_dataset("synthetic/synthclust", config());
  EXPECT_EQ(info.train_size, 3000);
  EXPECT_EQ(info.test_size, 300);
  EXPECT_EQ(info.sample_shape, std::vector<std::int64_t>{500});
}

TEST(SynthClust, ClusterMeansAreTheCentroids) {
  const cp::Dataset ds = cp::load_dataset("synthetic/synthclust", config());
  std::vector<std::vector<double>> mean(30, std::vector<double>(500, 0.0));
  for (std::int64_t r = 0; r < ds.train.size(); ++r) {
    for (int d = 0; d < 500; ++d) mean[ds.train.fine[r]][d] += ds.train.x[r * 500 + d] / 100.0;
  }
  double sum2 = 0;  // noise variance around the centroids
  for (std::int64_t r = 0; r < ds.train.size(); ++r) {
    for (int d = 0; d < 500; ++d) {
      const int j = ds.train.fine[r];
      sum2 += std::pow(ds.train.x[r * 500 + d] - ((d / 5 == j) ? 1.0 : 0.0), 2);
    }
  }
  // Standard error 0.4 / sqrt(100) = 0.04 per dimension; 0.2 is 5 of them.
  for (int j = 0; j < 30; ++j) {
    for (int d = 0; d < 500; ++d) {
      const double centroid = (d >= 5 * j && d < 5 * j + 5) ? 1.0 : 0.0;
      ASSERT_NEAR(mean[j][d], centroid, 0.2) << "cluster " << j << " dim " << d;
    }
  }
  EXPECT_NEAR(std::sqrt(sum2 / (3000.0 * 500.0)), 0.4, 0.01);
}

TEST(SynthClust, DeterministicPerSeed) {
  const cp::Dataset a = cp::load_dataset("synthetic/synthclust", config());
  const cp::Dataset b = cp::load_dataset("synthetic/synthclust", config());
  EXPECT_EQ(a.train.x, b.train.x);
  EXPECT_EQ(a.test.fine, b.test.fine);
  EXPECT_EQ(a.hierarchy.fine_to_coarse, b.hierarchy.fine_to_coarse);
  const cp::Dataset c = cp::load_dataset("synthetic/synthclust", config(4));
  EXPECT_NE(a.train.x, c.train.x);
  EXPECT_NE(a.hierarchy.fine_to_coarse, c.hierarchy.fine_to_coarse);
}

TEST(SynthClust, RejectsImpossibleSettings) {
  cp::DataConfig cfg = config();
  cfg.synthclust_train_per_cluster = 0;
  EXPECT_THROW(cp::load_dataset("synthetic/synthclust", cfg), cp::ConfigError);
  cfg = config();
  cfg.synthclust_noise = -1;
  EXPECT_THROW(cp::load_dataset("synthetic/synthclust", cfg), cp::ConfigError);
  EXPECT_THROW(cp::load_dataset("synthetic/synthclust2", cfg), cp::ConfigError);
}
