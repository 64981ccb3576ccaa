// "images/<hierarchy>": natural images in one folder per fine class,
// <image_dir>/{train,test}/<class>/*.png|jpg|jpeg, labelled by a hierarchy in
// the BREEDS form. Every image becomes 3 x S x S (S = cfg.image_size).
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "clusterprobe/common/error.hpp"
#include "image_decode.hpp"
#include "loaders.hpp"
#include "pixels.hpp"

namespace fs = std::filesystem;

namespace cp::detail {
namespace {

bool is_image(const fs::directory_entry& entry) {
  std::string ext = entry.path().extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::error_code ec;
  return (ext == ".png" || ext == ".jpg" || ext == ".jpeg") && entry.is_regular_file(ec);
}

/// The images of one class folder, sorted by name so that row order (and so
/// every subset and seed) is the same on every file system. Empty if absent.
std::vector<fs::path> list_images(const fs::path& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return files;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (is_image(entry)) files.push_back(entry.path());
  }
  if (ec) throw InputError(dir.string() + ": cannot list folder (" + ec.message() + ")");
  std::sort(files.begin(), files.end());
  return files;
}

// The class folders under `dir`, sorted, for messages: a hierarchy names them.
std::string folder_names(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (entry.is_directory(ec)) names.push_back(entry.path().filename().string());
  if (names.empty()) return "none in " + dir.string();
  std::sort(names.begin(), names.end());
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

struct RawSplit {
  std::vector<std::uint8_t> bytes;  // CHW images, one after another
  Split labels;                     // fine / coarse / index; x left empty
};

RawSplit read_split(const fs::path& root, const char* split, const Hierarchy& h, int size) {
  RawSplit out;
  const std::int64_t image_bytes = 3LL * size * size;
  // Rows are counted over every class of the hierarchy, used or not, so a
  // domain split's rows keep the index they have in the whole split.
  std::int64_t row = 0;
  for (int f = 0; f < h.num_fine(); ++f) {
    const fs::path dir = root / split / h.fine_names[f];
    const auto files = list_images(dir);
    if (h.fine_to_coarse[f] < 0) {
      row += static_cast<std::int64_t>(files.size());
      continue;
    }
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      throw InputError(dir.string() + ": missing folder of class '" + h.fine_names[f] + "' (hierarchy '" +
                       h.name + "'; the dataset's classes are its folders: " + folder_names(root / split) + ")");
    }
    if (files.empty()) {
      throw InputError(dir.string() + ": no .png, .jpg or .jpeg images for class '" +
                       h.fine_names[f] + "'");
    }
    out.bytes.reserve(out.bytes.size() + files.size() * image_bytes);
    for (const auto& file : files) {
      const auto pixels = resize_center_crop(decode_image(file.string()), size);
      out.bytes.insert(out.bytes.end(), pixels.begin(), pixels.end());
      out.labels.fine.push_back(f);
      out.labels.coarse.push_back(h.fine_to_coarse[f]);
      out.labels.index.push_back(row++);
    }
  }
  return out;
}

Split normalise(RawSplit raw, std::int64_t plane, const std::vector<PixelTable>& tables) {
  Split s = std::move(raw.labels);
  s.x.reserve(raw.bytes.size());
  for (std::size_t off = 0; off < raw.bytes.size(); off += 3 * plane) {
    append_normalised(raw.bytes.data() + off, plane, tables, s.x);
  }
  return s;
}

void require_setup(const DataConfig& cfg) {
  if (cfg.image_size < 1) {
    throw ConfigError("data.image_size must be >= 1, got " + std::to_string(cfg.image_size));
  }
}

}  // namespace

Dataset load_image_folders(const std::string& spec, Hierarchy hierarchy, const DataConfig& cfg) {
  require_setup(cfg);
  if (cfg.image_dir.empty()) {
    throw InputError(spec + ": data.image_dir is not set (expected <dir>/train/<class>/*.png)");
  }
  const int size = cfg.image_size;
  const std::int64_t plane = static_cast<std::int64_t>(size) * size;
  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = std::move(hierarchy);
  ds.sample_shape = {3, size, size};
  RawSplit train = read_split(cfg.image_dir, "train", ds.hierarchy, size);
  RawSplit test = read_split(cfg.image_dir, "test", ds.hierarchy, size);
  // Statistics of the training images read (the classes the hierarchy uses):
  // decoding unused classes only to measure them would cost more than it helps.
  ChannelStats stats(3);
  for (std::size_t off = 0; off < train.bytes.size(); off += 3 * plane) {
    stats.add(train.bytes.data() + off, plane);
  }
  const auto tables = stats.tables();
  ds.train = normalise(std::move(train), plane, tables);
  ds.test = normalise(std::move(test), plane, tables);
  return ds;
}

DatasetInfo peek_image_folders(const Hierarchy& h, const DataConfig& cfg) {
  require_setup(cfg);
  DatasetInfo info;
  info.sample_shape = {3, cfg.image_size, cfg.image_size};
  if (cfg.image_dir.empty()) return info;
  const fs::path root(cfg.image_dir);
  auto count = [&](const char* split, int f) {
    const auto files = list_images(root / split / h.fine_names[f]);
    for (const auto& file : files) info.files.push_back(file.string());
    return static_cast<std::int64_t>(files.size());
  };
  for (int f = 0; f < h.num_fine(); ++f) {
    if (h.fine_to_coarse[f] < 0) continue;
    info.train_size += count("train", f);
    info.test_size += count("test", f);
  }
  return info;
}

}  // namespace cp::detail
