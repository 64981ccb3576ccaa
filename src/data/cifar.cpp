// CIFAR-10 and CIFAR-100, binary versions (Krizhevsky 2009): each record is
// the label byte(s) then a 32x32 RGB image stored channel by channel (CHW).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <utility>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "loaders.hpp"
#include "pixels.hpp"

namespace fs = std::filesystem;

namespace cp::detail {
namespace {

constexpr std::int64_t kPlane = 32 * 32;
constexpr std::int64_t kImage = 3 * kPlane;

/// What distinguishes the two variants' files.
struct Layout {
  const char* kind;      // "cifar10" / "cifar100"
  const char* dir_key;   // the DataConfig key naming the directory
  int label_bytes;       // bytes before the image
  int fine_byte;         // offset of the fine label in the record
  int coarse_byte;       // offset of the coarse label, -1 if none
  int num_fine, num_coarse;
  std::vector<const char*> train_files, test_files;
  std::int64_t record() const { return label_bytes + kImage; }
};

const Layout kCifar10{"cifar10", "data.cifar10_dir", 1, 0, -1, 10, 0,
                      {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
                       "data_batch_4.bin", "data_batch_5.bin"},
                      {"test_batch.bin"}};
const Layout kCifar100{"cifar100", "data.cifar100_dir", 2, 1, 0, 100, 20, {"train.bin"},
                       {"test.bin"}};

const Layout& layout_of(const std::string& kind) {
  return kind == "cifar10" ? kCifar10 : kCifar100;
}
const std::string& dir_of(const Layout& l, const DataConfig& cfg) {
  return l.num_fine == 10 ? cfg.cifar10_dir : cfg.cifar100_dir;
}

/// One file's records, validated: whole records only, labels in range.
struct Records {
  std::string path;
  std::vector<std::uint8_t> bytes;
  std::int64_t count = 0;
  int fine(const Layout& l, std::int64_t r) const { return bytes[r * l.record() + l.fine_byte]; }
  int coarse(const Layout& l, std::int64_t r) const {
    return bytes[r * l.record() + l.coarse_byte];
  }
  const std::uint8_t* image(const Layout& l, std::int64_t r) const {
    return bytes.data() + r * l.record() + l.label_bytes;
  }
};

Records read_records(const Layout& l, const std::string& dir, const char* name) {
  Records rec;
  rec.path = (fs::path(dir) / name).string();
  refuse_non_regular(rec.path, std::string(l.kind) + " file");
  std::ifstream in(rec.path, std::ios::binary | std::ios::ate);
  if (!in) {
    const std::string why = dir.empty() ? std::string(l.dir_key) + " is not set"
                                        : std::string(std::strerror(errno));
    throw InputError(rec.path + ": cannot open " + l.kind + " file (" + why + ")");
  }
  const auto size = static_cast<std::int64_t>(in.tellg());
  if (size <= 0 || size % l.record() != 0) {
    throw InputError(rec.path + ": size " + std::to_string(size) + " bytes is not a positive " +
                     "multiple of the " + std::to_string(l.record()) + "-byte " + l.kind +
                     " record (truncated or not a " + l.kind + " binary file)");
  }
  rec.bytes.resize(static_cast<std::size_t>(size));
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(rec.bytes.data()), size)) {
    throw InputError(rec.path + ": read error");
  }
  rec.count = size / l.record();
  for (std::int64_t r = 0; r < rec.count; ++r) {
    const bool fine_bad = rec.fine(l, r) >= l.num_fine;
    if (fine_bad || (l.coarse_byte >= 0 && rec.coarse(l, r) >= l.num_coarse)) {
      const int limit = fine_bad ? l.num_fine : l.num_coarse;
      throw InputError(rec.path + ": record " + std::to_string(r) + " has " +
                       (fine_bad ? "fine label " + std::to_string(rec.fine(l, r))
                                 : "coarse label " + std::to_string(rec.coarse(l, r))) +
                       ", outside 0.." + std::to_string(limit - 1));
    }
  }
  return rec;
}

std::vector<Records> read_all(const Layout& l, const std::string& dir,
                              const std::vector<const char*>& names) {
  std::vector<Records> out;
  for (const char* name : names) out.push_back(read_records(l, dir, name));
  return out;
}

/// Class names, one per line, from an optional names file; `fallback` if absent.
std::vector<std::string> read_names(const std::string& dir, const char* name, int expected,
                                    std::vector<std::string> fallback) {
  const std::string path = (fs::path(dir) / name).string();
  if (!dir.empty()) refuse_non_regular(path, "class names file");
  std::ifstream in(path);
  if (dir.empty() || !in) return fallback;
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;  // the CIFAR-10 file ends in blank lines
    names.push_back(line.substr(b, line.find_last_not_of(" \t\r") + 1 - b));
  }
  if (static_cast<int>(names.size()) != expected) {
    throw InputError(path + ": expected " + std::to_string(expected) + " class names, found " +
                     std::to_string(names.size()));
  }
  return names;
}

std::vector<std::string> numbered(const char* prefix, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

/// Normalisation tables from every training image (whatever the hierarchy
/// keeps), so a domain split or a subset does not change the input scale.
std::vector<PixelTable> training_tables(const Layout& l, const std::vector<Records>& train) {
  ChannelStats stats(3);
  for (const auto& rec : train) {
    for (std::int64_t r = 0; r < rec.count; ++r) stats.add(rec.image(l, r), kPlane);
  }
  return stats.tables();
}

Split build_split(const Layout& l, const std::vector<Records>& files, const Hierarchy& h,
                  const std::vector<PixelTable>& tables) {
  Split s;
  std::int64_t row = 0;  // row of the whole split: files are concatenated in order
  for (const auto& rec : files) {
    for (std::int64_t r = 0; r < rec.count; ++r, ++row) {
      const int fine = rec.fine(l, r);
      const int coarse = h.fine_to_coarse[fine];
      if (coarse < 0) continue;
      append_normalised(rec.image(l, r), kPlane, tables, s.x);
      s.fine.push_back(fine);
      s.coarse.push_back(coarse);
      s.index.push_back(row);
    }
  }
  return s;
}

Dataset assemble(const std::string& spec, const Layout& l, Hierarchy h,
                 const std::vector<Records>& train, const std::vector<Records>& test) {
  Dataset ds;
  ds.spec = spec;
  ds.hierarchy = std::move(h);
  ds.sample_shape = {3, 32, 32};
  const auto tables = training_tables(l, train);
  ds.train = build_split(l, train, ds.hierarchy, tables);
  ds.test = build_split(l, test, ds.hierarchy, tables);
  return ds;
}

// Label order of the CIFAR-10 binary version (its batches.meta.txt).
const std::vector<std::string> kCifar10Names{"airplane", "automobile", "bird",  "cat",  "deer",
                                             "dog",      "frog",       "horse", "ship", "truck"};
// Label order of the CIFAR-100 binary version (its fine_label_names.txt).
const std::vector<std::string> kCifar100Names{
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle", "caterpillar",
    "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch", "crab", "crocodile",
    "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox", "girl", "hamster",
    "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion", "lizard", "lobster",
    "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom", "oak_tree", "orange",
    "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree", "plain", "plate", "poppy",
    "porcupine", "possum", "rabbit", "raccoon", "ray", "road", "rocket", "rose", "sea", "seal",
    "shark", "shrew", "skunk", "skyscraper", "snail", "snake", "spider", "squirrel", "streetcar",
    "sunflower", "sweet_pepper", "table", "tank", "telephone", "television", "tiger", "tractor",
    "train", "trout", "tulip", "turtle", "wardrobe", "whale", "willow_tree", "wolf", "woman",
    "worm"};

}  // namespace

DatasetClasses cifar_classes(const std::string& kind, const DataConfig& cfg) {
  if (kind == "cifar10") return {"CIFAR-10", read_names(cfg.cifar10_dir, "batches.meta.txt", 10, kCifar10Names)};
  return {"CIFAR-100", read_names(cfg.cifar100_dir, "fine_label_names.txt", 100, kCifar100Names)};
}

Dataset load_cifar10(const std::string& spec, Hierarchy h, const DataConfig& cfg) {
  const Layout& l = kCifar10;  // `h` is labelled by cifar_classes(): the files' labels
  const auto train = read_all(l, cfg.cifar10_dir, l.train_files);
  const auto test = read_all(l, cfg.cifar10_dir, l.test_files);
  return assemble(spec, l, std::move(h), train, test);
}

Dataset load_cifar100(const std::string& spec, Hierarchy h, const DataConfig& cfg) {
  const Layout& l = kCifar100;  // `h` is labelled by cifar_classes(): the files' labels
  const auto train = read_all(l, cfg.cifar100_dir, l.train_files);
  const auto test = read_all(l, cfg.cifar100_dir, l.test_files);
  return assemble(spec, l, std::move(h), train, test);
}

Dataset load_cifar100_coarse20(const std::string& spec, const DataConfig& cfg) {
  const Layout& l = kCifar100;
  const auto train = read_all(l, cfg.cifar100_dir, l.train_files);
  const auto test = read_all(l, cfg.cifar100_dir, l.test_files);

  Hierarchy h;
  h.name = "coarse20";
  h.fine_names = read_names(cfg.cifar100_dir, "fine_label_names.txt", 100, numbered("fine_", 100));
  h.coarse_names =
      read_names(cfg.cifar100_dir, "coarse_label_names.txt", 20, numbered("coarse_", 20));
  h.fine_to_coarse.assign(100, -1);
  for (const auto* files : {&train, &test}) {
    for (const auto& rec : *files) {
      for (std::int64_t r = 0; r < rec.count; ++r) {
        const int f = rec.fine(l, r), c = rec.coarse(l, r);
        if (h.fine_to_coarse[f] >= 0 && h.fine_to_coarse[f] != c) {
          throw InputError(rec.path + ": record " + std::to_string(r) + " puts fine class " +
                           std::to_string(f) + " in coarse class " + std::to_string(c) +
                           ", earlier records in " + std::to_string(h.fine_to_coarse[f]));
        }
        h.fine_to_coarse[f] = c;
      }
    }
  }
  h.subclasses.resize(20);
  for (int f = 0; f < 100; ++f) {
    if (h.fine_to_coarse[f] >= 0) h.subclasses[h.fine_to_coarse[f]].push_back(f);
  }
  for (int c = 0; c < 20; ++c) {
    if (h.subclasses[c].empty()) {  // an empty superclass cannot be clustered or probed
      throw InputError(train.front().path + ": no record has coarse class " + std::to_string(c));
    }
  }
  return assemble(spec, l, std::move(h), train, test);
}

DatasetInfo peek_cifar(const std::string& kind, const DataConfig& cfg) {
  const Layout& l = layout_of(kind);
  const std::string& dir = dir_of(l, cfg);
  auto count = [&](const std::vector<const char*>& names) {
    std::int64_t n = 0;
    for (const char* name : names) {
      std::error_code ec;
      const auto size = fs::file_size(fs::path(dir) / name, ec);
      if (!ec && !dir.empty()) n += static_cast<std::int64_t>(size) / l.record();
    }
    return n;
  };
  DatasetInfo info{count(l.train_files), count(l.test_files), {3, 32, 32}, {}};
  for (const auto* names : {&l.train_files, &l.test_files})
    for (const char* name : *names) info.files.push_back((fs::path(dir) / name).string());
  return info;
}

}  // namespace cp::detail
