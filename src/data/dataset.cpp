#include "clusterprobe/data/dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <utility>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "loaders.hpp"
#include "random.hpp"

namespace fs = std::filesystem;

namespace cp {

struct DecodedFiles::Fmnist {
  detail::FmnistFiles files;
};

namespace {

using detail::Half;

struct Spec {
  std::string kind, name;  // "fmnist" / "pairs-similar"
  Half half = Half::all;   // a ":source" / ":target" suffix
};

const char* const kSpecForms =
    "expected fmnist/<hierarchy>, cifar10/<hierarchy>, cifar100/coarse20, cifar100/<hierarchy>, "
    "images/<hierarchy>, synthetic/gmm or synthetic/synthclust, optionally ending in :source or "
    ":target";

Spec parse_spec(const std::string& spec) {
  Spec s;
  std::string base = spec;
  const auto colon = spec.rfind(':');
  if (colon != std::string::npos) {
    const std::string half = spec.substr(colon + 1);
    if (half != "source" && half != "target") {
      throw ConfigError("unknown domain split ':" + half + "' in dataset '" + spec +
                        "' (expected :source or :target)");
    }
    s.half = half == "source" ? Half::source : Half::target;
    base = spec.substr(0, colon);
  }
  const auto slash = base.find('/');
  if (slash != std::string::npos) {
    s.kind = base.substr(0, slash);
    s.name = base.substr(slash + 1);
  }
  const bool by_file = s.kind == "fmnist" || s.kind == "cifar10" || s.kind == "cifar100" ||
                       s.kind == "images";
  const bool known = (by_file && !s.name.empty()) ||
                     (s.kind == "synthetic" && (s.name == "gmm" || s.name == "synthclust"));
  if (!known) throw ConfigError("unknown dataset '" + spec + "' (" + kSpecForms + ")");
  return s;
}

/// Whether the spec's hierarchy is a file (rather than built from cfg or data).
bool hierarchy_from_file(const Spec& s) {
  return s.kind != "synthetic" && !(s.kind == "cifar100" && s.name == "coarse20");
}

/// The hierarchy file a spec names, checked against the dataset's class
/// names and labelled by them; an image folder's classes are the hierarchy's.
Hierarchy file_hierarchy(const Spec& s, const DataConfig& cfg) {
  const std::string path = hierarchy_path(s.name, cfg);
  if (s.kind == "images") return load_hierarchy(path);
  const DatasetClasses classes = s.kind == "fmnist" ? detail::fmnist_classes() : detail::cifar_classes(s.kind, cfg);
  return load_hierarchy(path, &classes);
}

/// The (unsplit) hierarchy of a spec, without reading samples; CIFAR-100's own
/// coarse20 hierarchy lives in the data files and is not available here.
Hierarchy spec_hierarchy(const Spec& s, const DataConfig& cfg) {
  if (hierarchy_from_file(s)) return file_hierarchy(s, cfg);
  if (s.name == "gmm") return detail::synthetic_hierarchy(cfg);
  return detail::synthclust_hierarchy(cfg);
}

std::string available_hierarchies(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return "directory " + dir.string() + " does not exist";
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".yaml") names.push_back(entry.path().stem().string());
  }
  if (names.empty()) return "none in " + dir.string();
  std::sort(names.begin(), names.end());
  std::string out = "available in " + dir.string() + ":";
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", " : " ") + names[i];
  return out;
}

}  // namespace

std::int64_t Dataset::sample_size() const {
  return std::accumulate(sample_shape.begin(), sample_shape.end(), std::int64_t{1},
                         std::multiplies<>());
}

std::string hierarchy_path(const std::string& name, const DataConfig& cfg) {
  const fs::path dir = cfg.hierarchy_dir.empty()
                           ? fs::path(CLUSTERPROBE_SOURCE_DIR) / "configs" / "hierarchies"
                           : fs::path(cfg.hierarchy_dir);
  // A name is a file stem, never a path: "../x" must not escape the directory.
  const bool plain = !name.empty() && name.find('/') == std::string::npos && name[0] != '.';
  const fs::path file = dir / (name + ".yaml");
  std::error_code ec;
  if (plain) refuse_non_regular(file.string(), "hierarchy file");
  if (plain && fs::is_regular_file(file, ec)) return file.string();
  throw ConfigError("unknown hierarchy '" + name + "' (" + available_hierarchies(dir) + ")");
}

void check_dataset_spec(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  // coarse20's hierarchy comes from the data (5 subclasses per superclass:
  // always splittable); the synthetic ones are built from cfg, which load_dataset checks.
  if (hierarchy_from_file(s) || (s.half != Half::all && s.kind == "synthetic")) {
    detail::split_hierarchy(spec_hierarchy(s, cfg), s.half, spec);
  }
}

namespace {

Dataset load_any(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  if (hierarchy_from_file(s)) {
    // Cut the hierarchy first: loaders skip the dropped classes while reading.
    Hierarchy h = detail::split_hierarchy(file_hierarchy(s, cfg), s.half, spec);
    if (s.kind == "fmnist") return detail::load_fmnist(spec, std::move(h), cfg);
    if (s.kind == "cifar10") return detail::load_cifar10(spec, std::move(h), cfg);
    if (s.kind == "cifar100") return detail::load_cifar100(spec, std::move(h), cfg);
    return detail::load_image_folders(spec, std::move(h), cfg);
  }
  Dataset ds = s.kind == "cifar100"    ? detail::load_cifar100_coarse20(spec, cfg)
               : s.name == "synthclust" ? detail::make_synthclust(spec, cfg)
                                        : detail::make_synthetic(spec, cfg);
  if (s.half != Half::all) {
    ds.hierarchy = detail::split_hierarchy(ds.hierarchy, s.half, spec);
    detail::drop_unused_classes(ds);
  }
  return ds;
}

// An empty split would fail deep inside training, far from its cause.
void check_not_empty(const Dataset& ds, const std::string& spec, const DataConfig& cfg) {
  for (const auto* split : {&ds.train, &ds.test}) {
    if (!split->fine.empty()) continue;
    std::string files;
    for (const auto& f : peek_dataset(spec, cfg).files) files += (files.empty() ? "" : ", ") + f;
    throw InputError(spec + ": the " + (split == &ds.train ? "training" : "test") +
                     " split has no samples of the hierarchy's classes" + (files.empty() ? "" : " (" + files + ")"));
  }
}

// Read on first use; every hierarchy of Fashion-MNIST converts its own rows from these bytes.
const detail::FmnistFiles& fmnist_files(const DataConfig& cfg, DecodedFiles& decoded) {
  auto& slot = decoded.fmnist[cfg.fmnist_dir];
  if (!slot) slot = std::make_shared<const DecodedFiles::Fmnist>(DecodedFiles::Fmnist{detail::read_fmnist(cfg)});
  return slot->files;
}

}  // namespace

Dataset load_dataset(const std::string& spec, const DataConfig& cfg) {
  Dataset ds = load_any(spec, cfg);
  check_not_empty(ds, spec, cfg);
  return ds;
}

Dataset load_dataset_for_runs(const std::string& spec, const DataConfig& cfg, std::int64_t keep_train,
                              DecodedFiles& decoded) {
  const Spec s = parse_spec(spec);
  if (s.kind != "fmnist") {
    Dataset ds = load_dataset(spec, cfg);
    if (keep_train > 0) ds.train = subsample(ds.train, ds.sample_size(), keep_train, kSubsampleSeed);
    return ds;
  }
  Hierarchy h = detail::split_hierarchy(file_hierarchy(s, cfg), s.half, spec);
  Dataset ds = detail::load_fmnist(spec, std::move(h), fmnist_files(cfg, decoded), keep_train);
  check_not_empty(ds, spec, cfg);
  return ds;
}

DatasetInfo peek_dataset(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  // File datasets report whole splits (before hierarchy filtering); the
  // synthetic ones are exact.
  if (s.kind == "fmnist") return {60000, 10000, {1, 28, 28}, detail::fmnist_files(cfg)};
  if (s.kind == "cifar10" || s.kind == "cifar100") return detail::peek_cifar(s.kind, cfg);
  const Hierarchy h = detail::split_hierarchy(spec_hierarchy(s, cfg), s.half, spec);
  if (s.kind == "images") return detail::peek_image_folders(h, cfg);
  const std::int64_t used = h.num_used_fine();
  if (s.name == "gmm") {
    return {used * std::max(0, cfg.synthetic_train_per_fine),
            used * std::max(0, cfg.synthetic_test_per_fine),
            {cfg.synthetic_dim},
            {}};
  }
  return {used * std::max(0, cfg.synthclust_train_per_cluster),
          used * std::max(0, cfg.synthclust_test_per_cluster),
          {500},
          {}};
}

namespace {

// Each data file of `spec` by name (relative to its directory: moving a
// dataset does not change it), size and a hash of its ends.
std::string files_identity(const Spec& s, const std::string& spec, const DataConfig& cfg) {
  std::string text = "\nfiles:";
  const std::string& dir = s.kind == "fmnist" ? cfg.fmnist_dir
                           : s.kind == "cifar10" ? cfg.cifar10_dir
                           : s.kind == "cifar100" ? cfg.cifar100_dir : cfg.image_dir;
  for (const auto& file : peek_dataset(spec, cfg).files)
    text += "\n  " + detail::file_identity(file, fs::path(file).lexically_relative(dir).string());
  return text;
}

// coarse20's classes come with the data files (identified by files_identity).
bool hierarchy_in_files(const Spec& s) { return s.kind == "cifar100" && s.name == "coarse20"; }

}  // namespace

std::string data_identity(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  std::string text = "hierarchy:";
  if (!hierarchy_in_files(s)) {
    const Hierarchy h = detail::split_hierarchy(spec_hierarchy(s, cfg), s.half, spec);
    for (int c = 0; c < h.num_coarse(); ++c) {
      text += "\n  " + h.coarse_names[static_cast<std::size_t>(c)] + ":";
      for (int f : h.subclasses[static_cast<std::size_t>(c)]) text += " [" + h.fine_names[static_cast<std::size_t>(f)] + "]";
    }
  }
  return text + files_identity(s, spec, cfg);
}

std::string training_data_identity(const std::string& spec, const DataConfig& cfg, bool fine) {
  const Spec s = parse_spec(spec);
  // Names do not reach the weights: the samples kept and the target of each do.
  std::string text = "data: " + s.kind + "\ntargets (" + (fine ? "fine" : "coarse") + "):";
  if (hierarchy_in_files(s)) {
    text += " " + spec;
  } else {
    const Hierarchy h = detail::split_hierarchy(spec_hierarchy(s, cfg), s.half, spec);
    for (int f = 0; f < h.num_fine(); ++f) {
      const int c = static_cast<std::size_t>(f) < h.fine_to_coarse.size() ? h.fine_to_coarse[static_cast<std::size_t>(f)] : -1;
      text += "\n  " + h.fine_names[static_cast<std::size_t>(f)] + ": " +
              (c < 0 ? std::string("unused") : std::to_string(fine ? f : c));
    }
  }
  return text + files_identity(s, spec, cfg);
}

std::vector<std::string> default_augmentation(const std::string& spec) {
  const std::string kind = spec.substr(0, spec.find('/'));
  // Crops and flips preserve the class of a natural photograph, not of a
  // centred Fashion-MNIST item or a synthetic vector.
  if (kind == "cifar10" || kind == "cifar100" || kind == "images") return {"crop", "flip"};
  return {};
}

namespace detail {

Split select_rows(const Split& src, const std::vector<std::int64_t>& rows,
                  std::int64_t sample_size) {
  Split out;
  out.x.resize(rows.size() * static_cast<std::size_t>(sample_size));
  out.fine.reserve(rows.size());
  out.coarse.reserve(rows.size());
  out.index.reserve(rows.size());
  float* dst = out.x.data();
  for (std::int64_t r : rows) {
    const float* from = src.x.data() + r * sample_size;
    dst = std::copy(from, from + sample_size, dst);
    out.fine.push_back(src.fine[r]);
    out.coarse.push_back(src.coarse[r]);
    out.index.push_back(src.index[r]);
  }
  return out;
}

std::vector<std::int64_t> subsample_rows(const std::vector<std::int32_t>& fine, std::int64_t max_samples,
                                         std::uint64_t seed) {
  const auto n = static_cast<std::int64_t>(fine.size());
  std::map<std::int32_t, std::vector<std::int64_t>> by_class;  // ordered: quotas are deterministic
  for (std::int64_t r = 0; r < n; ++r) by_class[fine[static_cast<std::size_t>(r)]].push_back(r);

  // Largest-remainder apportionment: quotas proportional to class sizes that
  // sum exactly to max_samples.
  struct Quota {
    std::int32_t label;
    std::int64_t take, remainder;
  };
  std::vector<Quota> quotas;
  std::int64_t assigned = 0;
  for (const auto& [label, rows] : by_class) {
    const std::int64_t scaled = max_samples * static_cast<std::int64_t>(rows.size());
    quotas.push_back({label, scaled / n, scaled % n});
    assigned += scaled / n;
  }
  std::vector<Quota*> order;
  for (auto& q : quotas) order.push_back(&q);
  std::stable_sort(order.begin(), order.end(),
                   [](const Quota* a, const Quota* b) { return a->remainder > b->remainder; });
  for (std::int64_t i = 0; assigned < max_samples; ++i, ++assigned) order[i]->take += 1;

  // Each class draws from its own seeded permutation, so a larger budget keeps
  // the rows of a smaller one.
  std::vector<char> keep(static_cast<std::size_t>(n), 0);
  for (const auto& q : quotas) {
    std::vector<std::int64_t> rows = by_class[q.label];
    auto g = rnd::engine(seed, static_cast<std::uint64_t>(static_cast<std::uint32_t>(q.label)));
    rnd::shuffle(rows, g);
    for (std::int64_t i = 0; i < q.take; ++i) keep[rows[i]] = 1;
  }
  std::vector<std::int64_t> kept;
  for (std::int64_t r = 0; r < n; ++r) {
    if (keep[r]) kept.push_back(r);
  }
  return kept;
}

}  // namespace detail

Split subsample(const Split& split, std::int64_t sample_size, std::int64_t max_samples,
                std::uint64_t seed) {
  const std::int64_t n = split.size();
  CP_ASSERT(max_samples >= 0, "max_samples must be >= 0");
  CP_ASSERT(static_cast<std::int64_t>(split.x.size()) == n * sample_size,
            "split.x does not hold size() * sample_size values");
  if (max_samples == 0 || max_samples >= n) return split;
  return detail::select_rows(split, detail::subsample_rows(split.fine, max_samples, seed), sample_size);
}

}  // namespace cp
