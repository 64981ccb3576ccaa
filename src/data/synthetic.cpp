// "synthetic/gmm": a hierarchical Gaussian mixture whose subclasses are
// separated by construction, so quick studies and tests know what to expect.
#include <cmath>
#include <numeric>

#include "clusterprobe/common/error.hpp"
#include "loaders.hpp"
#include "random.hpp"

namespace cp::detail {
namespace {

// Separate streams: changing the size of one split leaves the other unchanged.
enum Stream : std::uint64_t { kCentres = 1, kTrain = 2, kTest = 3 };

void require(bool ok, const std::string& spec, const char* key, const std::string& rule,
             double value) {
  if (!ok) {
    throw ConfigError(spec + ": data.synthetic." + key + " must be " + rule + ", got " +
                      std::to_string(value));
  }
}

std::vector<double> random_direction(std::mt19937_64& g, rnd::Normal& normal, int dim) {
  std::vector<double> v(static_cast<std::size_t>(dim));
  double norm2 = 0;
  while (norm2 == 0) {  // an all-zero draw has no direction; practically never happens
    norm2 = 0;
    for (auto& x : v) {
      x = normal(g);
      norm2 += x * x;
    }
  }
  for (auto& x : v) x /= std::sqrt(norm2);
  return v;
}

Hierarchy mixture_hierarchy(int coarse, int fine_per) {
  Hierarchy h;
  h.name = "gmm";
  for (int c = 0; c < coarse; ++c) {
    h.coarse_names.push_back("c" + std::to_string(c));
    h.subclasses.emplace_back();
    for (int j = 0; j < fine_per; ++j) {
      h.subclasses.back().push_back(static_cast<int>(h.fine_names.size()));
      h.fine_names.push_back(h.coarse_names.back() + ".f" + std::to_string(j));
      h.fine_to_coarse.push_back(c);
    }
  }
  return h;
}

}  // namespace

Split sample_gaussian_split(const std::vector<std::vector<double>>& centres, const Hierarchy& h,
                            int per_fine, double noise, std::uint64_t seed, std::uint64_t stream) {
  auto g = rnd::engine(seed, stream);
  rnd::Normal normal;
  const auto dim = static_cast<std::int64_t>(centres.front().size());
  Split ordered;
  for (int f = 0; f < h.num_fine(); ++f) {
    for (int k = 0; k < per_fine; ++k) {
      for (double mu : centres[f]) ordered.x.push_back(static_cast<float>(mu + noise * normal(g)));
      ordered.fine.push_back(f);
      ordered.coarse.push_back(h.fine_to_coarse[f]);
      ordered.index.push_back(0);
    }
  }
  std::vector<std::int64_t> perm(ordered.fine.size());
  std::iota(perm.begin(), perm.end(), 0);
  rnd::shuffle(perm, g);
  Split out = select_rows(ordered, perm, dim);
  std::iota(out.index.begin(), out.index.end(), 0);  // the shuffled order is the split's order
  return out;
}

Hierarchy synthetic_hierarchy(const DataConfig& cfg) {
  return mixture_hierarchy(cfg.synthetic_coarse, cfg.synthetic_fine);
}

Dataset make_synthetic(const std::string& spec, const DataConfig& cfg) {
  // DataConfig may be built in code, so the ranges the study parser enforces are rechecked.
  require(cfg.synthetic_coarse >= 1, spec, "coarse", ">= 1", cfg.synthetic_coarse);
  require(cfg.synthetic_fine >= 1, spec, "fine", ">= 1", cfg.synthetic_fine);
  require(cfg.synthetic_dim >= 1, spec, "dim", ">= 1", cfg.synthetic_dim);
  require(cfg.synthetic_train_per_fine >= 1, spec, "train_per_fine", ">= 1",
          cfg.synthetic_train_per_fine);
  require(cfg.synthetic_test_per_fine >= 1, spec, "test_per_fine", ">= 1",
          cfg.synthetic_test_per_fine);
  require(cfg.synthetic_separation > 0 && std::isfinite(cfg.synthetic_separation), spec,
          "separation", "a finite number > 0", cfg.synthetic_separation);
  require(cfg.synthetic_seed >= 0, spec, "seed", ">= 0", cfg.synthetic_seed);

  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = mixture_hierarchy(cfg.synthetic_coarse, cfg.synthetic_fine);
  ds.sample_shape = {cfg.synthetic_dim};

  const auto seed = static_cast<std::uint64_t>(cfg.synthetic_seed);
  auto g = rnd::engine(seed, kCentres);
  rnd::Normal normal;
  const double r = cfg.synthetic_separation;
  std::vector<std::vector<double>> centres;  // by fine label
  for (int c = 0; c < cfg.synthetic_coarse; ++c) {
    std::vector<double> super = random_direction(g, normal, cfg.synthetic_dim);
    for (auto& x : super) x *= r;
    for (int j = 0; j < cfg.synthetic_fine; ++j) {
      std::vector<double> centre = random_direction(g, normal, cfg.synthetic_dim);
      for (std::size_t d = 0; d < centre.size(); ++d) centre[d] = super[d] + 0.5 * r * centre[d];
      centres.push_back(std::move(centre));
    }
  }
  ds.train = sample_gaussian_split(centres, ds.hierarchy, cfg.synthetic_train_per_fine, 1.0, seed,
                                   kTrain);
  ds.test = sample_gaussian_split(centres, ds.hierarchy, cfg.synthetic_test_per_fine, 1.0, seed,
                                  kTest);
  return ds;
}

}  // namespace cp::detail
