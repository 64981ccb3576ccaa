#pragma once
// Datasets as plain arrays (no LibTorch here: training converts them).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "clusterprobe/config/sections.hpp"
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

/// Dataset specs (the grid's `dataset` axis):
///   fmnist/<hierarchy>        Fashion-MNIST (cfg.fmnist_dir), a hierarchy file by name
///   cifar10/<hierarchy>       CIFAR-10 binary (cfg.cifar10_dir), e.g. cifar10/cifar10-pairs
///   cifar100/coarse20         CIFAR-100 binary (cfg.cifar100_dir) with its own 20 superclasses
///   cifar100/<hierarchy>      ... or a hierarchy file
///   images/<hierarchy>        image folders (cfg.image_dir), hierarchy file in the BREEDS form
///   synthetic/gmm             hierarchical Gaussian mixture (cfg.synthetic_*)
///   synthetic/synthclust      SynthClust (cfg.synthclust_*)
/// Any spec with a hierarchy may end in ":source" or ":target" (BREEDS-style
/// domain split): each superclass keeps only its first ceil(n/2) subclasses
/// (source) or the remaining floor(n/2) (target), subclasses in label order,
/// so the two halves share superclasses but no fine class.
///
/// Local. Loads the dataset named by `spec`. Samples whose fine class is in no
/// (kept) superclass are dropped. Throws ConfigError for an unknown spec,
/// InputError for missing or corrupt files (naming the file).
Dataset load_dataset(const std::string& spec, const DataConfig& cfg);

/// The seed of every run's subsamples (training split and probe set): the
/// same rows for every run of a dataset, so runs differ only in what the study varies.
inline constexpr std::uint64_t kSubsampleSeed = 0;

/// Decoded files that several dataset specs read, kept for the next spec:
/// Fashion-MNIST's four files hold every hierarchy of it.
struct DecodedFiles {
  struct Fmnist;  ///< the files' bytes, private to src/data
  std::map<std::string, std::shared_ptr<const Fmnist>> fmnist;  ///< by data directory
};

/// Local. The dataset of load_dataset(spec, cfg) for runs that train on
/// subsample(train, ..., keep_train, kSubsampleSeed) only: its training split
/// is that subsample (0: the whole split), which subsample() then returns
/// unchanged. Files already in `decoded` are not read again (it keeps those
/// it reads). Throws as load_dataset does.
Dataset load_dataset_for_runs(const std::string& spec, const DataConfig& cfg, std::int64_t keep_train,
                              DecodedFiles& decoded);

/// Local. Checks that `spec` names a loadable dataset without reading its
/// samples (hierarchy files are read and validated; a domain split needs two
/// or more subclasses in every superclass). Throws ConfigError for an unknown
/// spec or hierarchy name, and InputError (naming the file) for an invalid
/// hierarchy file.
void check_dataset_spec(const std::string& spec, const DataConfig& cfg);

/// What a spec holds, without reading samples (file sizes and directory
/// listings at most): for scheduling costs and plans. Unknown sizes are 0.
struct DatasetInfo {
  std::int64_t train_size = 0, test_size = 0;
  std::vector<std::int64_t> sample_shape;
  std::vector<std::string> files;  ///< the data files read by load_dataset (none: synthetic)
};
DatasetInfo peek_dataset(const std::string& spec, const DataConfig& cfg);

/// Local. What identifies the data behind `spec`, for run ids (a changed
/// input must make a new run): the hierarchy as it is used (each kept
/// superclass with its fine classes, by name, whatever the file is called),
/// and for each data file its name, size and a hash of its first and last
/// 64 KiB. Whole files are not hashed: CIFAR and image folders are gigabytes
/// and the plan runs on every command; headers, labels' positions and sizes
/// catch a replaced, truncated or re-exported dataset, not an in-place edit
/// of pixels that keeps the size. Synthetic data is identified by its
/// parameters, already part of the run's configuration.
std::string data_identity(const std::string& spec, const DataConfig& cfg);

/// Local. What identifies the training data behind `spec` for a network
/// trained on its fine (`fine`) or coarse labels: the data files as in
/// data_identity, and the target of each fine class of the dataset (or that it
/// is unused), not the hierarchy's names. Two specs with the same files, the
/// same classes kept and the same targets train the same network: the fine
/// labels of Fashion-MNIST under any hierarchy that keeps all ten classes.
std::string training_data_identity(const std::string& spec, const DataConfig& cfg, bool fine);

/// The augmentation a dataset trains with by default: {"crop", "flip"} for
/// natural images (cifar10, cifar100, images), none for Fashion-MNIST and the
/// synthetic sets.
std::vector<std::string> default_augmentation(const std::string& spec);

/// Local. A class-stratified subset of at most `max_samples` rows (0 = all),
/// deterministic for a given seed; keeps the original order of rows.
Split subsample(const Split& split, std::int64_t sample_size, std::int64_t max_samples,
                std::uint64_t seed);

/// Local. Path of a named built-in hierarchy, resolved in cfg.hierarchy_dir
/// (or the source tree's configs/hierarchies); throws ConfigError if absent.
std::string hierarchy_path(const std::string& name, const DataConfig& cfg);

}  // namespace cp
