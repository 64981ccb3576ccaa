#pragma once
// Datasets as plain arrays (no LibTorch here: training converts them).
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/data/hierarchy.hpp"

namespace cp {

/// One split: N samples of `sample_shape` floats, row-major.
struct Split {
  std::vector<float> x;               ///< N * prod(sample_shape), already normalised
  std::vector<std::int32_t> fine;     ///< fine label per sample
  std::vector<std::int32_t> coarse;   ///< coarse label per sample (from the hierarchy)
  std::vector<std::int64_t> index;    ///< row of the sample in the original split
  std::int64_t size() const { return static_cast<std::int64_t>(fine.size()); }
};

struct Dataset {
  std::string spec;                        ///< e.g. fmnist/pairs-similar
  Hierarchy hierarchy;
  std::vector<std::int64_t> sample_shape;  ///< [C, H, W] for images, [D] for vectors
  Split train, test;
  std::int64_t sample_size() const;        ///< prod(sample_shape)
};

/// Local. Loads the dataset named by `spec` ("fmnist/<hierarchy>" or
/// "synthetic/<hierarchy-free name>"). Samples whose fine class is in no
/// superclass are dropped. Throws ConfigError for an unknown spec, InputError
/// for missing or corrupt files.
Dataset load_dataset(const std::string& spec, const DataConfig& cfg);

/// Local. Checks that `spec` names a loadable dataset without reading its
/// samples: "synthetic/gmm", or "fmnist/<hierarchy>" whose hierarchy file exists
/// and is valid. Throws ConfigError for an unknown spec or hierarchy name, and
/// InputError (naming the hierarchy file) for an invalid hierarchy file.
void check_dataset_spec(const std::string& spec, const DataConfig& cfg);

/// Local. A class-stratified subset of at most `max_samples` rows (0 = all),
/// deterministic for a given seed; keeps the original order of rows.
Split subsample(const Split& split, std::int64_t sample_size, std::int64_t max_samples,
                std::uint64_t seed);

/// Local. Path of a named built-in hierarchy, resolved in cfg.hierarchy_dir
/// (or the source tree's configs/hierarchies); throws ConfigError if absent.
std::string hierarchy_path(const std::string& name, const DataConfig& cfg);

}  // namespace cp
