// Grid expansion: runs, their ids and their scheduling cost.
#include <cstdio>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/models/registry.hpp"
#include "resolved.hpp"

namespace cp {
namespace {

// Rough split sizes, without touching the data: the cost only orders runs.
struct SplitSizes {
  double train, test, input_size;
};

SplitSizes split_sizes(const std::string& dataset, const DataConfig& d) {
  if (dataset.rfind("synthetic/", 0) == 0) {
    const double fine = static_cast<double>(d.synthetic_coarse) * d.synthetic_fine;
    return {fine * d.synthetic_train_per_fine, fine * d.synthetic_test_per_fine,
            static_cast<double>(d.synthetic_dim)};
  }
  return {60000, 10000, 28 * 28};  // Fashion-MNIST
}

double capped(double n, std::int64_t max_samples) {
  return max_samples > 0 && static_cast<double>(max_samples) < n ? static_cast<double>(max_samples)
                                                                 : n;
}

// Relative cost: per-sample work (a CNN ~10x an MLP, scaled by input size)
// times the samples seen in training plus the forward pass over the probe set.
double run_cost(const RunSpec& r) {
  const SplitSizes n = split_sizes(r.dataset, r.data);
  const double arch = r.architecture == "cnn" ? 10.0 : 1.0;
  const double per_sample = arch * n.input_size / (28.0 * 28.0);
  const double trained = r.train.epochs * capped(n.train, r.train.max_samples);
  const double probed =
      capped(r.extract.split == "train" ? n.train : n.test, r.extract.max_samples);
  return per_sample * (trained + probed);
}

}  // namespace

std::string content_hash(const std::string& text) {
  std::uint64_t h = 14695981039346656037ull;  // FNV-1a 64-bit offset basis
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;  // FNV-1a 64-bit prime
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::vector<RunSpec> expand_grid(const StudyConfig& study) {
  const GridConfig& g = study.grid;
  std::vector<RunSpec> runs;
  runs.reserve(g.dataset.size() * g.architecture.size() * g.normalization.size() *
               g.pretraining.size() * g.seed.size());
  for (const auto& dataset : g.dataset) {
    for (const auto& arch : g.architecture) {
      for (const auto& norm : g.normalization) {
        for (const auto& pre : g.pretraining) {
          for (int seed : g.seed) {
            RunSpec r;
            r.dataset = dataset;
            r.architecture = arch;
            r.normalization = norm;
            r.pretraining = pre;
            r.seed = seed;
            r.train = study.train;
            r.extract = study.extract;
            // Concrete names: the run's id then says exactly what it extracts.
            if (r.extract.layers == std::vector<std::string>{"all"})
              r.extract.layers = probe_points(arch);
            r.data = study.data;
            r.resolved_yaml = detail::resolved_run_yaml(r);
            r.id = content_hash(r.resolved_yaml);
            r.cost = run_cost(r);
            runs.push_back(std::move(r));
          }
        }
      }
    }
  }
  return runs;
}

}  // namespace cp
