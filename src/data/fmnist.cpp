// Fashion-MNIST from the IDX files (Debian's dataset-fashion-mnist layout).
#include <filesystem>
#include <utility>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/idx.hpp"
#include "loaders.hpp"
#include "pixels.hpp"

namespace cp::detail {
namespace {

constexpr int kSide = 28;
// Mean and standard deviation of the training pixels (scaled to [0, 1]).
constexpr float kMean = 0.2860f;
constexpr float kStd = 0.3530f;

std::string shape_text(const std::vector<std::int64_t>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

void check_files(const FmnistSplitFiles& f) {
  const IdxArray& images = f.images;
  const IdxArray& labels = f.labels;
  if (images.dims.size() != 3 || images.dims[1] != kSide || images.dims[2] != kSide) {
    throw InputError(f.images_path + ": expected images of shape [N, 28, 28], got " + shape_text(images.dims));
  }
  if (labels.dims.size() != 1) {
    throw InputError(f.labels_path + ": expected a 1-dimensional label array, got " + shape_text(labels.dims));
  }
  if (labels.dims[0] != images.dims[0]) {
    throw InputError(f.labels_path + ": " + std::to_string(labels.dims[0]) + " labels for " +
                     std::to_string(images.dims[0]) + " images in " + f.images_path);
  }
  if (images.dims[0] == 0) throw InputError(f.images_path + ": no images (its IDX header says 0)");
}

FmnistSplitFiles read_split(const std::string& images_path, const std::string& labels_path) {
  FmnistSplitFiles f{read_idx(images_path), read_idx(labels_path), images_path, labels_path};
  check_files(f);
  return f;
}

// The rows of the classes `h` keeps, cut to their subsample of `keep` rows
// (0: all) before any is converted to floats.
Split convert_split(const FmnistSplitFiles& f, const Hierarchy& h, std::int64_t keep) {
  std::vector<std::int64_t> rows;
  std::vector<std::int32_t> fine;
  for (std::int64_t r = 0; r < f.labels.dims[0]; ++r) {
    const int label = f.labels.data[static_cast<std::size_t>(r)];
    if (label >= h.num_fine()) {
      throw InputError(f.labels_path + ": label " + std::to_string(label) + " at row " + std::to_string(r) +
                       " is outside the " + std::to_string(h.num_fine()) + " classes of hierarchy '" + h.name + "'");
    }
    if (h.fine_to_coarse[static_cast<std::size_t>(label)] < 0) continue;  // a class the hierarchy leaves out
    rows.push_back(r);
    fine.push_back(label);
  }
  if (keep > 0 && keep < static_cast<std::int64_t>(rows.size())) {
    auto picked = subsample_rows(fine, keep, kSubsampleSeed);
    for (auto& p : picked) p = rows[static_cast<std::size_t>(p)];
    rows = std::move(picked);
  }
  // Fixed statistics (not recomputed): the files never change.
  const std::vector<PixelTable> pixel{pixel_table(kMean, kStd)};
  const std::int64_t size = kSide * kSide;
  Split s;
  s.x.reserve(rows.size() * static_cast<std::size_t>(size));
  for (const std::int64_t r : rows) {
    const int label = f.labels.data[static_cast<std::size_t>(r)];
    append_normalised(f.images.data.data() + r * size, size, pixel, s.x);
    s.fine.push_back(label);
    s.coarse.push_back(h.fine_to_coarse[static_cast<std::size_t>(label)]);
    s.index.push_back(r);
  }
  return s;
}

}  // namespace

DatasetClasses fmnist_classes() {
  return {"Fashion-MNIST",
          {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}};
}

std::vector<std::string> fmnist_files(const DataConfig& cfg) {
  std::vector<std::string> out;
  for (const char* name : {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                           "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"})
    out.push_back((std::filesystem::path(cfg.fmnist_dir) / name).string());
  return out;
}

FmnistFiles read_fmnist(const DataConfig& cfg) {
  const std::filesystem::path dir(cfg.fmnist_dir);
  auto file = [&](const char* name) { return (dir / name).string(); };
  return {read_split(file("train-images-idx3-ubyte.gz"), file("train-labels-idx1-ubyte.gz")),
          read_split(file("t10k-images-idx3-ubyte.gz"), file("t10k-labels-idx1-ubyte.gz"))};
}

Dataset load_fmnist(const std::string& spec, Hierarchy hierarchy, const FmnistFiles& files, std::int64_t keep_train) {
  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = std::move(hierarchy);
  ds.sample_shape = {1, kSide, kSide};
  ds.train = convert_split(files.train, ds.hierarchy, keep_train);
  ds.test = convert_split(files.test, ds.hierarchy, 0);
  return ds;
}

Dataset load_fmnist(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg) {
  return load_fmnist(spec, std::move(hierarchy), read_fmnist(cfg), 0);
}

}  // namespace cp::detail
