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

Split load_split(const std::string& images_path, const std::string& labels_path,
                 const Hierarchy& h) {
  const IdxArray images = read_idx(images_path);
  const IdxArray labels = read_idx(labels_path);
  if (images.dims.size() != 3 || images.dims[1] != kSide || images.dims[2] != kSide) {
    throw InputError(images_path + ": expected images of shape [N, 28, 28], got " +
                     shape_text(images.dims));
  }
  if (labels.dims.size() != 1) {
    throw InputError(labels_path + ": expected a 1-dimensional label array, got " +
                     shape_text(labels.dims));
  }
  if (labels.dims[0] != images.dims[0]) {
    throw InputError(labels_path + ": " + std::to_string(labels.dims[0]) + " labels for " +
                     std::to_string(images.dims[0]) + " images in " + images_path);
  }

  if (images.dims[0] == 0) throw InputError(images_path + ": no images (its IDX header says 0)");

  // Fixed statistics (not recomputed): the files never change.
  const std::vector<PixelTable> pixel{pixel_table(kMean, kStd)};

  const std::int64_t n = images.dims[0];
  const std::int64_t size = kSide * kSide;
  Split s;
  s.x.reserve(static_cast<std::size_t>(n * size));
  for (std::int64_t r = 0; r < n; ++r) {
    const int fine = labels.data[r];
    if (fine >= h.num_fine()) {
      throw InputError(labels_path + ": label " + std::to_string(fine) + " at row " +
                       std::to_string(r) + " is outside the " + std::to_string(h.num_fine()) +
                       " classes of hierarchy '" + h.name + "'");
    }
    const int coarse = h.fine_to_coarse[fine];
    if (coarse < 0) continue;  // a class the hierarchy leaves out
    append_normalised(images.data.data() + r * size, size, pixel, s.x);
    s.fine.push_back(fine);
    s.coarse.push_back(coarse);
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

Dataset load_fmnist(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg) {
  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = std::move(hierarchy);
  ds.sample_shape = {1, kSide, kSide};
  const std::filesystem::path dir(cfg.fmnist_dir);
  auto file = [&](const char* name) { return (dir / name).string(); };
  ds.train = load_split(file("train-images-idx3-ubyte.gz"), file("train-labels-idx1-ubyte.gz"),
                        ds.hierarchy);
  ds.test = load_split(file("t10k-images-idx3-ubyte.gz"), file("t10k-labels-idx1-ubyte.gz"),
                       ds.hierarchy);
  return ds;
}

}  // namespace cp::detail
