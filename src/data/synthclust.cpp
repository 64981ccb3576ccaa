// "synthetic/synthclust": SynthClust, x in R^500 around 30 centroids with
// disjoint supports (centroid j is 1 on dims 5j..5j+4, 0 elsewhere), grouped
// into 2 classes of 15 clusters. The clusters are known exactly, so a
// representation's cluster structure can be checked against ground truth.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "clusterprobe/common/error.hpp"
#include "loaders.hpp"
#include "random.hpp"

namespace cp::detail {
namespace {

constexpr int kDim = 500;
constexpr int kClusters = 30;
constexpr int kClasses = 2;
constexpr int kSupport = 5;  // ones per centroid

// Streams distinct from the Gaussian mixture's, so the two never share draws.
enum Stream : std::uint64_t { kAssign = 11, kTrain = 12, kTest = 13 };

void require(bool ok, const std::string& what, const std::string& rule, double value) {
  if (!ok) {
    throw ConfigError("synthetic/synthclust: data." + what + " must be " + rule + ", got " +
                      std::to_string(value));
  }
}

}  // namespace

Hierarchy synthclust_hierarchy(const DataConfig& cfg) {
  require(cfg.synthetic_seed >= 0, "synthetic.seed", ">= 0", cfg.synthetic_seed);
  // Which clusters form each class is random (seeded), not "first 15": a model
  // cannot use the position of the support to tell the classes apart.
  std::vector<int> order(kClusters);
  std::iota(order.begin(), order.end(), 0);
  auto g = rnd::engine(static_cast<std::uint64_t>(cfg.synthetic_seed), kAssign);
  rnd::shuffle(order, g);

  Hierarchy h;
  h.name = "synthclust";
  for (int j = 0; j < kClusters; ++j) h.fine_names.push_back("cluster" + std::to_string(j));
  h.fine_to_coarse.assign(kClusters, -1);
  h.subclasses.resize(kClasses);
  for (int c = 0; c < kClasses; ++c) h.coarse_names.push_back("class" + std::to_string(c));
  const int per_class = kClusters / kClasses;
  for (int k = 0; k < kClusters; ++k) {
    const int c = k / per_class;
    h.fine_to_coarse[order[k]] = c;
    h.subclasses[c].push_back(order[k]);
  }
  for (auto& members : h.subclasses) std::sort(members.begin(), members.end());
  return h;
}

Dataset make_synthclust(const std::string& spec, const DataConfig& cfg) {
  // DataConfig may be built in code, so the parser's ranges are rechecked here.
  require(cfg.synthclust_train_per_cluster >= 1, "synthclust.train_per_cluster", ">= 1",
          cfg.synthclust_train_per_cluster);
  require(cfg.synthclust_test_per_cluster >= 1, "synthclust.test_per_cluster", ">= 1",
          cfg.synthclust_test_per_cluster);
  require(cfg.synthclust_noise >= 0 && std::isfinite(cfg.synthclust_noise), "synthclust.noise",
          "a finite number >= 0", cfg.synthclust_noise);

  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = synthclust_hierarchy(cfg);
  ds.sample_shape = {kDim};
  std::vector<std::vector<double>> centres(kClusters, std::vector<double>(kDim, 0.0));
  for (int j = 0; j < kClusters; ++j) {
    for (int k = 0; k < kSupport; ++k) centres[j][kSupport * j + k] = 1.0;
  }
  const auto seed = static_cast<std::uint64_t>(cfg.synthetic_seed);
  ds.train = sample_gaussian_split(centres, ds.hierarchy, cfg.synthclust_train_per_cluster,
                                   cfg.synthclust_noise, seed, kTrain);
  ds.test = sample_gaussian_split(centres, ds.hierarchy, cfg.synthclust_test_per_cluster,
                                  cfg.synthclust_noise, seed, kTest);
  return ds;
}

}  // namespace cp::detail
