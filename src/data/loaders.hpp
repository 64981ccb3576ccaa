#pragma once
// The dataset loaders behind load_dataset(). Private to src/data.
//
// File loaders take the hierarchy already resolved (and already cut by a
// domain split), so samples of unused classes are never converted to floats.
#include <string>
#include <vector>

#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/data/idx.hpp"

namespace cp::detail {

/// Fashion-MNIST from cfg.fmnist_dir, labelled by `hierarchy`.
/// The four IDX files of Fashion-MNIST in cfg.fmnist_dir.
std::vector<std::string> fmnist_files(const DataConfig& cfg);
/// "<name> <size> <hash of the first and last 64 KiB of path>", or "<name> missing".
std::string file_identity(const std::string& path, const std::string& name);
Dataset load_fmnist(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg);
/// One split's IDX files, read and checked, before any pixel is converted.
struct FmnistSplitFiles {
  IdxArray images, labels;
  std::string images_path, labels_path;
};
/// Fashion-MNIST's four files: every hierarchy of it reads its rows from them.
struct FmnistFiles {
  FmnistSplitFiles train, test;
};
FmnistFiles read_fmnist(const DataConfig& cfg);
/// The same, from files already read, the training split cut to its
/// subsample of `keep_train` rows (0: all) before it is converted.
Dataset load_fmnist(const std::string& spec, Hierarchy hierarchy, const FmnistFiles& files, std::int64_t keep_train);
/// Fashion-MNIST's 10 classes, by label (fixed: the files hold labels only).
DatasetClasses fmnist_classes();

/// CIFAR-10 binary from cfg.cifar10_dir; `hierarchy` bound to cifar_classes().
Dataset load_cifar10(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg);
/// CIFAR-100 binary from cfg.cifar100_dir labelled by a hierarchy file bound to cifar_classes().
Dataset load_cifar100(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg);
/// CIFAR-100 binary with the hierarchy its own coarse labels define ("coarse20").
Dataset load_cifar100_coarse20(const std::string& spec, const DataConfig& cfg);
/// The fine classes of a CIFAR variant, by label: from its names file
/// (batches.meta.txt, fine_label_names.txt) when there is one, else the
/// published names; InputError for a names file with the wrong count.
DatasetClasses cifar_classes(const std::string& kind, const DataConfig& cfg);
DatasetInfo peek_cifar(const std::string& kind, const DataConfig& cfg);

/// Image folders under cfg.image_dir, one folder per used fine class of `hierarchy`.
Dataset load_image_folders(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg);
DatasetInfo peek_image_folders(const Hierarchy& hierarchy, const DataConfig& cfg);

/// The hierarchical Gaussian mixture described by cfg.synthetic_*.
Dataset make_synthetic(const std::string& spec, const DataConfig& cfg);
Hierarchy synthetic_hierarchy(const DataConfig& cfg);
/// SynthClust described by cfg.synthclust_* (and cfg.synthetic_seed).
Dataset make_synthclust(const std::string& spec, const DataConfig& cfg);
Hierarchy synthclust_hierarchy(const DataConfig& cfg);

/// Samples of each fine class drawn from N(centre, noise^2 I), then shuffled
/// with the same stream; `index` is the shuffled position.
Split sample_gaussian_split(const std::vector<std::vector<double>>& centres, const Hierarchy& h,
                            int per_fine, double noise, std::uint64_t seed, std::uint64_t stream);

/// Which half of a BREEDS-style domain split a spec asks for.
enum class Half { all, source, target };

/// The hierarchy cut to one half: in every superclass, the first ceil(n/2)
/// subclasses by label (source) or the rest (target); the others map to -1.
/// The name gets ":source" / ":target". Throws ConfigError (naming `spec`)
/// when a superclass keeps fewer than 2 subclasses in the half asked for (a
/// superclass of 2 keeps 1: pairs cannot be split). Half::all returns `h`.
Hierarchy split_hierarchy(const Hierarchy& h, Half half, const std::string& spec);

/// Drops the rows of both splits whose fine class the hierarchy leaves out.
void drop_unused_classes(Dataset& ds);

/// The rows subsample() keeps of a split with these fine labels, ascending.
std::vector<std::int64_t> subsample_rows(const std::vector<std::int32_t>& fine, std::int64_t max_samples,
                                         std::uint64_t seed);

/// Rows `rows` of `src`, in that order (index column included).
Split select_rows(const Split& src, const std::vector<std::int64_t>& rows,
                  std::int64_t sample_size);

}  // namespace cp::detail
