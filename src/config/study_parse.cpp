// Reading and validating a study file: defaults come from the structs in
// study.hpp, every key present in the file is type- and range-checked here.
#include <algorithm>
#include <cmath>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/common/text.hpp"
#include "clusterprobe/config/study.hpp"
#include "resolved.hpp"
#include "findings_section.hpp"
#include "slurm_section.hpp"
#include "clusterprobe/common/yaml_reader.hpp"

namespace cp {
namespace {

using yamlr::IntRange;
using yamlr::ListRule;
using yamlr::Map;
using yamlr::RealRange;

const std::vector<std::string> kLabels{"coarse", "fine"};
const std::vector<std::string> kAugment{"auto", "crop", "flip"};

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

void read_nonempty(const Map& m, const std::string& key, std::string& out) {
  m.require(key);
  m.get(key, out);
  if (out.empty()) m.fail(key, "must not be empty");
}

// Synthetic sizes, bounded up front (README "Study file"): far above any real
// study, below where the class count or a split's values would overflow an
// int or take the machine's memory.
constexpr std::int64_t kMaxSyntheticClasses = 100000;
constexpr std::int64_t kMaxSyntheticSamples = 50000000;          // per split
constexpr std::int64_t kMaxSyntheticValues = (std::int64_t{1} << 31) - 1;  // per split: samples x dim

void check_synthetic_sizes(const Map& syn, const DataConfig& d) {
  const std::int64_t classes = std::int64_t{d.synthetic_coarse} * d.synthetic_fine;
  if (classes > kMaxSyntheticClasses)
    syn.fail(syn.has("fine") ? "fine" : "coarse",
             "coarse x fine = " + std::to_string(classes) + " classes, more than " +
                 std::to_string(kMaxSyntheticClasses));
  for (const auto& [key, per_fine] : {std::pair<const char*, int>{"train_per_fine", d.synthetic_train_per_fine},
                                      {"test_per_fine", d.synthetic_test_per_fine}}) {
    const std::int64_t samples = classes * per_fine;
    if (samples > kMaxSyntheticSamples)
      syn.fail(key, std::to_string(samples) + " samples in the split (x " + std::to_string(classes) +
                        " classes), more than " + std::to_string(kMaxSyntheticSamples));
    if (samples * d.synthetic_dim > kMaxSyntheticValues)
      syn.fail(key, std::to_string(samples) + " samples of dim " + std::to_string(d.synthetic_dim) +
                        " in the split, more than 2^31 values");
  }
}

void read_data(const Map& top, DataConfig& d) {
  const Map m = top.map("data", {"fmnist_dir", "hierarchy_dir", "synthetic", "synthclust",
                                 "cifar10_dir", "cifar100_dir", "image_dir", "image_size"});
  m.get("fmnist_dir", d.fmnist_dir);
  m.get("hierarchy_dir", d.hierarchy_dir);
  m.get("cifar10_dir", d.cifar10_dir);
  m.get("cifar100_dir", d.cifar100_dir);
  m.get("image_dir", d.image_dir);
  m.get("image_size", d.image_size, IntRange::at_least(4, 1024));
  const Map sc = m.map("synthclust", {"train_per_cluster", "test_per_cluster", "noise"});
  sc.get("train_per_cluster", d.synthclust_train_per_cluster, IntRange::at_least(1, 100000));
  sc.get("test_per_cluster", d.synthclust_test_per_cluster, IntRange::at_least(1, 100000));
  sc.get("noise", d.synthclust_noise, RealRange::at_least(0));
  const Map syn = m.map("synthetic", {"coarse", "fine", "dim", "train_per_fine", "test_per_fine",
                                      "separation", "seed"});
  const auto positive = IntRange::at_least(1);
  const auto bounded = IntRange::at_least(1, kMaxSyntheticClasses);
  syn.get("coarse", d.synthetic_coarse, bounded);
  syn.get("fine", d.synthetic_fine, bounded);
  syn.get("dim", d.synthetic_dim, IntRange::at_least(1, 100000));
  syn.get("train_per_fine", d.synthetic_train_per_fine, positive);
  syn.get("test_per_fine", d.synthetic_test_per_fine, positive);
  syn.get("separation", d.synthetic_separation, RealRange::above(0));
  syn.get("seed", d.synthetic_seed, IntRange::at_least(0));
  check_synthetic_sizes(syn, d);
}

// Names other subsystems own are recorded with their place; plan/ checks them.
void record(const Map& m, const std::string& key, const std::vector<std::string>& values,
            const std::vector<YAML::Node>& nodes, std::vector<SourcedName>& names) {
  for (std::size_t i = 0; i < values.size(); ++i) names.push_back({m.key_path(key), values[i], m.where(key, nodes[i])});
}

void read_grid(const Map& top, GridConfig& g, std::vector<SourcedName>& names) {
  top.require("grid");
  const Map m =
      top.map("grid", {"dataset", "architecture", "normalization", "pretraining", "seed", "labels"});
  for (const char* axis : {"dataset", "architecture", "normalization"}) m.require(axis);
  std::vector<YAML::Node> nodes;
  m.get_list("dataset", g.dataset, ListRule{}, &nodes);
  record(m, "dataset", g.dataset, nodes, names);
  m.get_list("architecture", g.architecture, ListRule{}, &nodes);
  record(m, "architecture", g.architecture, nodes, names);
  m.get_list("normalization", g.normalization, ListRule{}, &nodes);
  record(m, "normalization", g.normalization, nodes, names);
  m.get_list("pretraining", g.pretraining, ListRule{}, &nodes);
  record(m, "pretraining", g.pretraining, nodes, names);
  m.get_int_list("seed", g.seed, IntRange::at_least(0), ListRule{});
  // train.labels says the same; grid.labels is how the resolved file writes the axis.
  m.get_list("labels", g.labels, ListRule{true, false, &kLabels});
}

void read_train(const Map& top, TrainConfig& t, GridConfig& g) {
  const Map m =
      top.map("train", {"epochs", "batch_size", "optimizer", "lr", "momentum", "weight_decay",
                        "schedule", "step_size", "gamma", "max_samples", "threads", "device",
                        "sync_batchnorm", "checkpoint_every", "labels", "finetune",
                        "pretrain_epochs", "augment", "crop_padding"});
  // A list of labels is one more grid axis (the fine-label baseline).
  m.get_list("labels", g.labels, ListRule{true, false, &kLabels});
  m.get_choice("finetune", t.finetune, {"full", "linear", "frozen"});
  m.get("pretrain_epochs", t.pretrain_epochs, IntRange::at_least(0));
  std::vector<YAML::Node> nodes;
  m.get_list("augment", t.augment, ListRule{true, true, &kAugment}, &nodes);
  for (std::size_t i = 0; i < t.augment.size(); ++i) {
    if (t.augment[i] == "auto" && t.augment.size() > 1)
      m.fail_item("augment", nodes[i], "'auto' (the dataset's default) cannot be combined");
  }
  m.get("crop_padding", t.crop_padding, IntRange::at_least(0, 64));
  m.get("epochs", t.epochs, IntRange::at_least(0));
  m.get("batch_size", t.batch_size, IntRange::at_least(1));
  m.get_choice("optimizer", t.optimizer, {"sgd"});
  m.get("lr", t.lr, RealRange::above(0));
  m.get("momentum", t.momentum, RealRange::half_open(0, 1));
  m.get("weight_decay", t.weight_decay, RealRange::at_least(0));
  m.get_choice("schedule", t.schedule, {"cosine", "step", "constant"});
  m.get("step_size", t.step_size, IntRange::at_least(1));
  m.get("gamma", t.gamma, RealRange{0, true, 1, false});  // a decay, so at most 1
  m.get("max_samples", t.max_samples, IntRange::at_least(0, kInt64Max));
  m.get("threads", t.threads, IntRange::at_least(0));
  m.get_choice("device", t.device, {"auto", "cpu", "cuda"});
  m.get("sync_batchnorm", t.sync_batchnorm);
  m.get("checkpoint_every", t.checkpoint_every, IntRange::at_least(1));
}

void read_extract_epochs(const Map& m, const TrainConfig& train, ExtractConfig& e) {
  std::vector<YAML::Node> nodes;
  m.get_list("epochs", e.epochs, ListRule{true, true}, &nodes);
  for (std::size_t i = 0; i < e.epochs.size(); ++i) {
    const std::string& v = e.epochs[i];
    if (v == "last") continue;
    const bool digits = !v.empty() && v.size() < 9 &&
                        std::all_of(v.begin(), v.end(), [](unsigned char c) { return std::isdigit(c); });
    if (!digits || std::stoi(v) < 1)
      m.fail_item("epochs", nodes[i], "expected an epoch >= 1 or 'last', got '" + v + "'");
    if (std::stoi(v) > std::max(train.epochs, train.pretrain_epochs))
      m.fail_item("epochs", nodes[i], "epoch " + v + " is after the last epoch (train.epochs: " +
                                          std::to_string(train.epochs) + ")");
  }
}

void read_extract(const Map& top, const TrainConfig& train, ExtractConfig& e, std::vector<SourcedName>& names) {
  const Map m = top.map("extract", {"split", "layers", "max_samples", "spatial", "epochs", "dtype", "compression"});
  m.get_choice("dtype", e.dtype, {"float32", "float16"});
  std::string compression = "none";
  m.get("compression", compression);
  if (compression.rfind("deflate:", 0) == 0 && compression.size() == 9 && compression[8] >= '1' && compression[8] <= '9') {
    e.deflate = compression[8] - '0';
  } else if (compression != "none") {
    m.fail("compression", "expected none or deflate:<level 1-9>, got '" + compression + "'");
  }
  read_extract_epochs(m, train, e);
  m.get_choice("split", e.split, {"test", "train"});
  std::vector<YAML::Node> nodes;
  m.get_list("layers", e.layers, ListRule{}, &nodes);
  for (std::size_t i = 0; i < e.layers.size(); ++i) {
    if (e.layers[i] == "all" && e.layers.size() > 1)
      m.fail_item("layers", nodes[i], "'all' cannot be combined with layer names");
  }
  // Probe point names belong to the architectures: checked when planning.
  if (e.layers != std::vector<std::string>{"all"}) record(m, "layers", e.layers, nodes, names);
  m.get("max_samples", e.max_samples, IntRange::at_least(0, kInt64Max));
  m.get_choice("spatial", e.spatial, {"mean", "max", "flatten"});
}

// "2GiB", "512M", "1.5G", "1000000": bytes, or -1.
std::int64_t parse_size(const std::string& text) {
  std::size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    return -1;
  }
  std::string unit = text.substr(used);
  while (!unit.empty() && unit.front() == ' ') unit.erase(0, 1);
  const std::vector<std::pair<std::string, double>> units{
      {"", 1}, {"B", 1}, {"K", 1e3}, {"KB", 1e3}, {"KiB", 1024.0}, {"M", 1e6}, {"MB", 1e6}, {"MiB", 1048576.0},
      {"G", 1e9}, {"GB", 1e9}, {"GiB", 1073741824.0}, {"T", 1e12}, {"TB", 1e12}, {"TiB", 1099511627776.0}};
  for (const auto& [name, factor] : units) {
    if (unit != name) continue;
    const double bytes = value * factor;
    return std::isfinite(bytes) && bytes >= 1 && bytes < 9e18 ? static_cast<std::int64_t>(bytes) : -1;
  }
  return -1;
}

// A list of names as enum values: the names are checked against the enum's
// table, and only then converted (so `parse` cannot fail).
template <class E, class Parse>
void get_enum_list(const Map& m, const std::string& key, std::vector<E>& out, const std::vector<std::string>& table,
                   Parse parse) {
  std::vector<std::string> names;
  for (const E e : out) names.push_back(name_of(e));
  m.get_list(key, names, ListRule{true, false, &table});
  out.clear();
  for (const auto& n : names) out.push_back(*parse(n));
}

void read_cluster(const Map& top, ClusterParams& c, std::vector<SourcedName>& names) {
  const Map m = top.map("cluster", {"methods", "restarts", "max_iter", "tol", "preprocess", "knn",
                                    "ssc_alpha", "ssc_admm_max_points", "ssc_omp_sparsity",
                                    "community", "resolution", "silhouette_max_points", "sample_points",
                                    "max_item_memory"});
  std::string size = "auto";
  m.get("max_item_memory", size);
  if (size != "auto") {
    c.max_item_memory = parse_size(size);
    if (c.max_item_memory <= 0)
      m.fail("max_item_memory", "expected auto or a size such as 512MiB, 2G or 1500000000, got '" + size + "'");
  }
  get_enum_list(m, "methods", c.methods, method_names(), parse_method);
  m.get("restarts", c.kmeans.restarts, IntRange::at_least(1));
  m.get("max_iter", c.kmeans.max_iter, IntRange::at_least(1));
  m.get("tol", c.kmeans.tol, RealRange::at_least(0));
  std::vector<YAML::Node> nodes;
  m.get_list("preprocess", c.preprocess, ListRule{true, true}, &nodes);
  record(m, "preprocess", c.preprocess, nodes, names);  // the cluster module owns the step names
  m.get("knn", c.knn, IntRange::at_least(1));
  m.get("ssc_alpha", c.ssc.alpha, RealRange::above(1));
  m.get("ssc_admm_max_points", c.ssc.admm_max_points, IntRange::at_least(2, kInt64Max));
  m.get("ssc_omp_sparsity", c.ssc.omp_sparsity, IntRange::at_least(1));
  m.get_choice("community", c.community, community_algorithms());
  m.get("resolution", c.resolution, RealRange::above(0));
  m.get("silhouette_max_points", c.silhouette_max_points, IntRange::at_least(2, kInt64Max));
  m.get("sample_points", c.sample_points, IntRange::at_least(2, kInt64Max));
}

void read_parallel(const Map& top, ParallelConfig& p) {
  const Map m = top.map("parallel", {"ranks_per_run", "backend", "max_hours", "progress_every"});
  m.get("ranks_per_run", p.ranks_per_run, IntRange::at_least(1));
  m.get_choice("backend", p.backend, {"auto", "mpi", "nccl"});
  m.get("max_hours", p.max_hours, RealRange::at_least(0));
  m.get("progress_every", p.progress_every, RealRange::at_least(0));
}

constexpr const char* kControlInOutput =
    "contains a control character (a newline, a tab...): no output directory should; name it without one";

// `literal_output`: `analyze -o`'s path is taken as given (one tree scalar, never text).
StudyConfig read_study(const YAML::Node& root, const yamlr::Origins& o, bool literal_output) {
  const Map top(o, root, "",
                {"study", "output", "grid", "train", "extract", "cluster", "metrics", "parallel", "data",
                 "slurm", "findings", "report"});
  StudyConfig s;
  read_nonempty(top, "study", s.study);
  // The name titles the report, the logs and the Slurm jobs: printed text only.
  if (has_control(s.study)) top.fail("study", "must not hold control characters, got " + quoted_excerpt(s.study));
  read_nonempty(top, "output", s.output);
  if (!literal_output && has_control(s.output)) top.fail("output", kControlInOutput);
  read_data(top, s.data);
  read_grid(top, s.grid, s.names);
  read_train(top, s.train, s.grid);
  read_extract(top, s.train, s.extract, s.names);
  read_cluster(top, s.cluster, s.names);
  get_enum_list(top, "metrics", s.metrics, measure_names(), parse_measure);
  read_parallel(top, s.parallel);
  detail::read_slurm(top, s.slurm);
  detail::read_findings(o, top, s.grid.dataset, s.findings);
  detail::read_report(top, s.report_runs);
  return s;
}

std::vector<std::string> split_key(const std::string& key) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = key.find('.', start);
    parts.push_back(key.substr(start, dot - start));
    if (dot == std::string::npos) return parts;
    start = dot + 1;
  }
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Sets one dotted key on the raw tree. Intermediate mappings are created, and
// an unknown key is left for the validation to reject with the usual message.
void apply_override(YAML::Node& root, const std::string& text, yamlr::Origins& o) {
  const std::string loc = "override " + quoted_excerpt(text, text.size());
  const auto eq = text.find('=');
  if (eq == std::string::npos)
    o.fail_at(loc, "(override)", "expected key=value, e.g. train.epochs=1");
  const std::string key = trim(text.substr(0, eq));
  const std::vector<std::string> parts = split_key(key);
  for (const auto& p : parts) {
    if (p.empty())
      o.fail_at(loc, key.empty() ? "(override)" : key, "expected a dotted key, e.g. train.epochs");
  }
  const std::string raw = text.substr(eq + 1);
  // YAML folds a line break of a plain scalar into a space: the value would change in silence.
  if (raw.find_first_of("\n\r") != std::string::npos)
    o.fail_at(loc, key, "the value contains a line break; give it on one line");
  if (key == "output" && has_control(raw)) o.fail_at(loc, key, kControlInOutput);
  YAML::Node value;
  try {
    value = YAML::Load(raw);
  } catch (const YAML::Exception& e) {
    o.fail_at(loc, key, "invalid YAML value: " + e.msg);
  }

  if (!root.IsDefined() || root.IsNull()) root.reset(YAML::Node(YAML::NodeType::Map));
  // Node assignment would rebind the shared tree; walking must use reset().
  YAML::Node cur = root;
  std::string path;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (!cur.IsMap() && !cur.IsNull()) {
      o.fail_at(loc, path.empty() ? "(top level)" : path,
                "is " + yamlr::describe(cur) + ", not a mapping; cannot set '" + parts[i] + "'");
    }
    path += (path.empty() ? "" : ".") + parts[i];
    if (i + 1 == parts.size()) {
      cur[parts[i]] = value;
      o.set_by_override(path, text);
      break;
    }
    YAML::Node child = cur[parts[i]];
    if (!child.IsDefined()) {
      cur[parts[i]] = YAML::Node(YAML::NodeType::Map);
      child.reset(cur[parts[i]]);
      o.set_by_override(path, text);  // created here, so errors below it blame the override
    }
    cur.reset(child);
  }
}

}  // namespace

namespace {

StudyConfig parse_tree(YAML::Node root, yamlr::Origins& o, const std::string& origin,
                       const std::vector<std::string>& overrides, bool literal_output = false) {
  for (const auto& ov : overrides) apply_override(root, ov, o);
  StudyConfig s = read_study(root, o, literal_output);
  s.source_path = origin;
  s.resolved_yaml = detail::resolved_study_yaml(s);
  return s;
}

}  // namespace

StudyConfig parse_study(const std::string& yaml_text, const std::string& origin,
                        const std::vector<std::string>& overrides) {
  yamlr::Origins o(origin, yamlr::Blame::config);
  return parse_tree(yamlr::load_document(yaml_text, o), o, origin, overrides);
}

StudyConfig analysis_study(const std::string& output_dir, const std::vector<std::string>& overrides) {
  yamlr::Origins o("analyze", yamlr::Blame::config);
  // Built as a tree, never as text: the path is one scalar whatever it holds.
  YAML::Node root(YAML::NodeType::Map);
  root["study"] = "analyze";
  root["output"] = output_dir;
  YAML::Node grid(YAML::NodeType::Map);
  for (const auto& [axis, value] : {std::pair<const char*, const char*>{"dataset", "synthetic/gmm"},
                                    {"architecture", "mlp"},
                                    {"normalization", "none"}}) {
    YAML::Node list(YAML::NodeType::Sequence);
    list.push_back(value);
    grid[axis] = list;
  }
  root["grid"] = grid;
  return parse_tree(root, o, "analyze", overrides, true);
}

StudyConfig load_study(const std::string& path, const std::vector<std::string>& overrides) {
  return parse_study(read_regular_input(path, "study file", ErrorKind::config, kMaxStudyFileBytes), path, overrides);
}

}  // namespace cp
