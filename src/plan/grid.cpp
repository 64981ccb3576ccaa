// Grid expansion: runs, their pretraining runs, ids and scheduling cost.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/common/hash.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/models/registry.hpp"
#include "pretraining.hpp"
#include "grid.hpp"

namespace cp {
namespace {

// Rough per-sample forward cost relative to the MLP on 28x28 inputs: it only
// orders runs (most expensive first), so an order of magnitude is enough.
double architecture_cost(const std::string& arch) {
  auto starts = [&](const char* p) { return arch.rfind(p, 0) == 0; };
  if (arch == "mlp") return 1;
  if (arch == "cnn") return 10;
  if (starts("resnet18")) return 1400;
  if (starts("resnet")) return 5.0 * std::atoi(arch.c_str() + 6);
  if (starts("vgg19")) return 1000;
  if (starts("vgg16")) return 800;
  if (starts("vgg13")) return 550;
  if (starts("vgg")) return 400;
  if (starts("vit")) return 150;
  return 100;  // torchscript: unknown
}

double capped(double n, std::int64_t max_samples) {
  return max_samples > 0 && static_cast<double>(max_samples) < n ? static_cast<double>(max_samples)
                                                                 : n;
}

// Relative cost: per-sample work times the samples seen in training plus the
// forward passes over the probe set (once per stored epoch); sets
// r.training_cost to the first part.
double run_cost(RunSpec& r) {
  const DatasetInfo info = peek_dataset(r.dataset, r.data);
  double input = 1;
  for (auto d : info.sample_shape) input *= static_cast<double>(d);
  const double per_sample = architecture_cost(r.architecture) * input / (28.0 * 28.0);
  const int epochs = r.train.finetune == "frozen" && !r.parent_id.empty() ? 0 : r.train.epochs;
  const double trained = epochs * capped(static_cast<double>(info.train_size), r.train.max_samples);
  const double probe_n = static_cast<double>(r.extract.split == "train" ? info.train_size
                                                                        : info.test_size);
  const double probed = static_cast<double>(r.extract_epochs.size()) *
                        capped(probe_n, r.extract.max_samples);
  r.training_cost = per_sample * trained;
  return per_sample * (trained + probed) + 1;
}

std::string file_hash(const std::string& path) {
  return content_hash(read_regular_input(path, "TorchScript file"));
}

// Epoch 0 always, then the requested ones up to the run's last epoch.
std::vector<int> resolve_epochs(const std::vector<std::string>& wanted, int epochs) {
  std::vector<int> out{0};
  for (const auto& w : wanted) {
    const int e = w == "last" ? epochs : std::stoi(w);
    if (e >= 1 && e <= epochs) out.push_back(e);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> resolve_augment(const std::vector<std::string>& wanted,
                                         const std::string& dataset) {
  if (wanted == std::vector<std::string>{"auto"}) return default_augmentation(dataset);
  return wanted;
}

// Hashing the data files costs a few reads per dataset: once per expansion.
class DataHashes {
 public:
  const std::string& of(const std::string& spec, const DataConfig& cfg) {
    auto it = hashes_.find(spec);
    if (it == hashes_.end()) it = hashes_.emplace(spec, content_hash(data_identity(spec, cfg))).first;
    return it->second;
  }
  const std::string& training(const std::string& spec, const DataConfig& cfg, const std::string& labels) {
    const std::string key = labels + " " + spec;
    auto it = training_.find(key);
    if (it == training_.end())
      it = training_.emplace(key, content_hash(training_data_identity(spec, cfg, labels == "fine"))).first;
    return it->second;
  }

 private:
  std::map<std::string, std::string> hashes_, training_;
};

// Fills the derived fields, the resolved text and the id.
void finish(RunSpec& r, const StudyConfig& study, DataHashes& hashes) {
  r.extract = study.extract;
  // Concrete names: the run's id then says exactly what it extracts.
  if (r.extract.layers == std::vector<std::string>{"all"} &&
      !is_scripted_architecture(r.architecture))
    r.extract.layers = probe_points(r.architecture);
  r.extract_epochs = resolve_epochs(study.extract.epochs, r.train.epochs);
  r.augment = resolve_augment(study.train.augment, r.dataset);
  r.data = study.data;
  r.data_hash = hashes.of(r.dataset, r.data);
  r.training_data_hash = hashes.training(r.dataset, r.data, r.labels);
  r.resolved_yaml = resolved_run_yaml(r);
  r.id = content_hash(r.resolved_yaml);
  r.cost = run_cost(r);
}

// Training identities, pretraining runs first (a child names its parent by
// what the parent trained, so children of two identical parents share too),
// and the run that trains each: the first of the plan with its identity.
void share_trainings(std::vector<RunSpec>& runs) {
  std::map<std::string, std::string> training_of, trainer_of;  // by run id / by training id
  for (auto& r : runs) {
    const auto parent = training_of.find(r.parent_id);
    r.training_id = content_hash(training_run_yaml(r, parent == training_of.end() ? r.parent_id : parent->second));
    training_of[r.id] = r.training_id;
    r.trained_by = trainer_of.emplace(r.training_id, r.id).first->second;
  }
}

// Why a combination of axes is not a run, or empty when it is one.
std::string incompatibility(const std::string& arch, const std::string& norm,
                            const detail::Pretraining& pre) {
  const bool scripted = is_scripted_architecture(arch);
  if (scripted != (pre.kind == "torchscript"))
    return "architecture torchscript goes only with pretraining torchscript:<path>";
  const auto norms = normalizations_for(arch);
  if (std::find(norms.begin(), norms.end(), norm) == norms.end())
    return "normalization " + norm + " is not defined for " + arch;
  return {};
}

void expand(const StudyConfig& study, Plan& out) {
  const GridConfig& g = study.grid;
  DataHashes hashes;
  std::set<std::string> seen;  // ids already planned
  auto add = [&](RunSpec r) {
    if (seen.insert(r.id).second) out.runs.push_back(std::move(r));
  };
  for (const auto& dataset : g.dataset) {
    for (const auto& arch : g.architecture) {
      for (const auto& norm : g.normalization) {
        for (const auto& pre_spec : g.pretraining) {
          const auto pre = detail::parse_pretraining(pre_spec);
          if (auto why = incompatibility(arch, norm, pre); !why.empty()) {
            out.skipped.push_back(dataset + " / " + arch + " / " + norm + " / " + pre_spec + ": " + why);
            continue;
          }
          for (const auto& labels : g.labels) {
            for (int seed : g.seed) {
              RunSpec r;
              r.dataset = dataset;
              r.architecture = arch;
              // A scripted model brings its own normalization layers.
              r.normalization = pre.kind == "torchscript" ? "scripted" : norm;
              r.pretraining = pre_spec;
              r.seed = seed;
              r.labels = labels;
              r.train = study.train;
              if (pre.kind == "torchscript") {
                r.torchscript_path = pre.path;
                r.torchscript_hash = file_hash(pre.path);
              }
              if (pre.kind == "fine" || pre.kind == "coarse") {
                // The pretraining run: same network and seed, trained from scratch
                // on the pretraining data; shared by every run that names it.
                RunSpec p;
                p.dataset = pre.dataset;
                p.architecture = arch;
                p.normalization = norm;
                p.pretraining = "none";
                p.seed = seed;
                p.labels = pre.kind;
                p.train = study.train;
                if (study.train.pretrain_epochs > 0) p.train.epochs = study.train.pretrain_epochs;
                finish(p, study, hashes);
                r.parent_id = p.id;
                add(std::move(p));
              }
              finish(r, study, hashes);
              add(std::move(r));
            }
          }
        }
      }
    }
  }
  // Pretraining runs first, so they are claimed before any run that waits for
  // them (a grid run can also be another run's pretraining run).
  std::set<std::string> parents;
  for (const auto& r : out.runs) {
    if (!r.parent_id.empty()) parents.insert(r.parent_id);
  }
  for (auto& r : out.runs) r.is_pretraining = parents.count(r.id) > 0;
  std::stable_partition(out.runs.begin(), out.runs.end(),
                        [](const RunSpec& r) { return r.is_pretraining; });
  share_trainings(out.runs);
}

}  // namespace

void detail::expand_into(Plan& plan) { expand(plan.study, plan); }

}  // namespace cp
