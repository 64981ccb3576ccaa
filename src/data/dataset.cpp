#include "clusterprobe/data/dataset.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/common/error.hpp"
#include "loaders.hpp"
#include "random.hpp"

namespace fs = std::filesystem;

namespace cp {
namespace {

struct Spec {
  std::string kind, name;  // "fmnist" / "pairs-similar"
};

Spec parse_spec(const std::string& spec) {
  const auto slash = spec.find('/');
  Spec s;
  if (slash != std::string::npos) s = {spec.substr(0, slash), spec.substr(slash + 1)};
  const bool known =
      (s.kind == "fmnist" && !s.name.empty()) || (s.kind == "synthetic" && s.name == "gmm");
  if (!known) {
    throw ConfigError("unknown dataset '" + spec +
                      "' (expected fmnist/<hierarchy> or synthetic/gmm)");
  }
  return s;
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
  if (plain && fs::is_regular_file(file, ec)) return file.string();
  throw ConfigError("unknown hierarchy '" + name + "' (" + available_hierarchies(dir) + ")");
}

void check_dataset_spec(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  if (s.kind == "fmnist") load_hierarchy(hierarchy_path(s.name, cfg));
}

Dataset load_dataset(const std::string& spec, const DataConfig& cfg) {
  const Spec s = parse_spec(spec);
  if (s.kind == "fmnist") return detail::load_fmnist(spec, s.name, cfg);
  return detail::make_synthetic(spec, cfg);
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

}  // namespace detail

Split subsample(const Split& split, std::int64_t sample_size, std::int64_t max_samples,
                std::uint64_t seed) {
  const std::int64_t n = split.size();
  CP_ASSERT(max_samples >= 0, "max_samples must be >= 0");
  CP_ASSERT(static_cast<std::int64_t>(split.x.size()) == n * sample_size,
            "split.x does not hold size() * sample_size values");
  if (max_samples == 0 || max_samples >= n) return split;

  std::map<std::int32_t, std::vector<std::int64_t>> by_class;  // ordered: quotas are deterministic
  for (std::int64_t r = 0; r < n; ++r) by_class[split.fine[r]].push_back(r);

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
  return detail::select_rows(split, kept, sample_size);
}

}  // namespace cp
