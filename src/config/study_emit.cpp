#include <yaml-cpp/yaml.h>

#include <algorithm>

#include "clusterprobe/common/error.hpp"
#include "resolved.hpp"
#include "findings_section.hpp"
#include "slurm_section.hpp"
#include "clusterprobe/common/yaml_reader.hpp"

namespace cp::detail {
namespace {

// Doubles go out as their shortest round-trip text: yaml-cpp's default
// precision would write 0.05 as 0.050000000000000003.
void put(YAML::Emitter& out, const char* key, double v) {
  out << YAML::Key << key << YAML::Value << yamlr::format_real(v);
}
void put(YAML::Emitter& out, const char* key, const std::string& v) {
  out << YAML::Key << key << YAML::Value << v;
}
void put(YAML::Emitter& out, const char* key, std::int64_t v) {
  out << YAML::Key << key << YAML::Value << v;
}
void put(YAML::Emitter& out, const char* key, int v) {
  out << YAML::Key << key << YAML::Value << v;
}
template <class T>
void put(YAML::Emitter& out, const char* key, const std::vector<T>& v) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& x : v) out << x;
  out << YAML::EndSeq;
}

// A list of enum values by their names.
template <class E>
std::vector<std::string> names_of(const std::vector<E>& values) {
  std::vector<std::string> names;
  for (const E v : values) names.push_back(name_of(v));
  return names;
}

void begin(YAML::Emitter& out, const char* key) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
}

std::string text_of(const YAML::Emitter& out) {
  if (!out.good()) CP_THROW_INTERNAL("YAML emitter: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

enum class Purpose { study, run };

// `run` null: the study's train section; otherwise the run's, where keys that
// keep their old default are left out, so runs planned before a key existed
// keep their ids.
void put_train(YAML::Emitter& out, const TrainConfig& t, const RunFields* run) {
  const Purpose purpose = run ? Purpose::run : Purpose::study;
  begin(out, "train");
  put(out, "epochs", t.epochs);
  put(out, "batch_size", t.batch_size);
  put(out, "optimizer", t.optimizer);
  put(out, "lr", t.lr);
  put(out, "momentum", t.momentum);
  put(out, "weight_decay", t.weight_decay);
  put(out, "schedule", t.schedule);
  // A run's id must not change with settings that cannot change its result.
  if (purpose == Purpose::study || t.schedule == "step") {
    put(out, "step_size", t.step_size);
    put(out, "gamma", t.gamma);
  }
  put(out, "max_samples", t.max_samples);
  if (purpose == Purpose::study) {
    put(out, "threads", t.threads);
    put(out, "device", t.device);
    put(out, "checkpoint_every", t.checkpoint_every);
  }
  // Synchronised batch statistics can change the result, so they are part of the id.
  put(out, "sync_batchnorm", t.sync_batchnorm ? "true" : "false");
  if (!run) {
    put(out, "finetune", t.finetune);
    put(out, "pretrain_epochs", t.pretrain_epochs);
    put(out, "augment", t.augment);
    put(out, "crop_padding", t.crop_padding);
  } else {
    if (!run->parent_id.empty() || !run->torchscript_path.empty()) put(out, "finetune", t.finetune);
    if (!run->augment.empty()) put(out, "augment", run->augment);
    const auto& a = run->augment;
    if (std::find(a.begin(), a.end(), "crop") != a.end()) put(out, "crop_padding", t.crop_padding);
  }
  out << YAML::EndMap;
}

void put_extract(YAML::Emitter& out, const ExtractConfig& e, const RunFields* run) {
  begin(out, "extract");
  put(out, "split", e.split);
  put(out, "layers", e.layers);
  put(out, "max_samples", e.max_samples);
  put(out, "spatial", e.spatial);
  if (!run) {
    put(out, "epochs", e.epochs);
  } else if (run->extract_epochs != std::vector<int>{0, run->train.epochs}) {
    put(out, "epochs", run->extract_epochs);  // the default (0 and last) is left out
  }
  // float32 is left out of a run's fields (ids from before dtype existed stay);
  // compression changes no stored value, so runs do not record it.
  if (!run || e.dtype != "float32") put(out, "dtype", e.dtype);
  if (!run) put(out, "compression", e.deflate > 0 ? "deflate:" + std::to_string(e.deflate) : std::string("none"));
  out << YAML::EndMap;
}

void put_synthetic(YAML::Emitter& out, const DataConfig& d) {
  begin(out, "synthetic");
  put(out, "coarse", d.synthetic_coarse);
  put(out, "fine", d.synthetic_fine);
  put(out, "dim", d.synthetic_dim);
  put(out, "train_per_fine", d.synthetic_train_per_fine);
  put(out, "test_per_fine", d.synthetic_test_per_fine);
  put(out, "separation", d.synthetic_separation);
  put(out, "seed", d.synthetic_seed);
  out << YAML::EndMap;
}

void put_synthclust(YAML::Emitter& out, const DataConfig& d) {
  begin(out, "synthclust");
  put(out, "train_per_cluster", d.synthclust_train_per_cluster);
  put(out, "test_per_cluster", d.synthclust_test_per_cluster);
  put(out, "noise", d.synthclust_noise);
  out << YAML::EndMap;
}

// `dataset` empty: every field (the study); otherwise only those it reads.
void put_data(YAML::Emitter& out, const DataConfig& d, const std::string& dataset) {
  const bool all = dataset.empty();
  auto is = [&](const char* kind) { return dataset.rfind(kind, 0) == 0; };
  begin(out, "data");
  // A run names its data by content (data_content), not by where it lies:
  // directories appear in the study's resolved file only.
  if (all) {
    put(out, "fmnist_dir", d.fmnist_dir);
    put(out, "cifar10_dir", d.cifar10_dir);
    put(out, "cifar100_dir", d.cifar100_dir);
    put(out, "image_dir", d.image_dir);
    put(out, "hierarchy_dir", d.hierarchy_dir);
  }
  if (all || is("images/")) put(out, "image_size", d.image_size);
  if (all || is("synthetic/gmm")) put_synthetic(out, d);
  if (all || is("synthetic/synthclust")) {
    put_synthclust(out, d);
    if (!all) put(out, "seed", d.synthetic_seed);
  }
  out << YAML::EndMap;
}

// The cluster: and metrics: sections: what the cluster stage's results depend on.
void put_clustering(YAML::Emitter& out, const StudyConfig& s) {
  begin(out, "cluster");
  put(out, "methods", names_of(s.cluster.methods));
  put(out, "restarts", s.cluster.kmeans.restarts);
  put(out, "max_iter", s.cluster.kmeans.max_iter);
  put(out, "tol", s.cluster.kmeans.tol);
  put(out, "preprocess", s.cluster.preprocess);
  put(out, "knn", s.cluster.knn);
  put(out, "ssc_alpha", s.cluster.ssc.alpha);
  put(out, "ssc_admm_max_points", s.cluster.ssc.admm_max_points);
  put(out, "ssc_omp_sparsity", s.cluster.ssc.omp_sparsity);
  put(out, "community", s.cluster.community);
  put(out, "resolution", s.cluster.resolution);
  put(out, "silhouette_max_points", s.cluster.silhouette_max_points);
  put(out, "sample_points", s.cluster.sample_points);
  if (s.cluster.max_item_memory > 0) {
    put(out, "max_item_memory", s.cluster.max_item_memory);
  } else {
    put(out, "max_item_memory", std::string("auto"));
  }
  out << YAML::EndMap;
  put(out, "metrics", names_of(s.metrics));
}

}  // namespace

std::string resolved_study_yaml(const StudyConfig& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  put(out, "study", s.study);
  put(out, "output", s.output);
  begin(out, "grid");
  put(out, "dataset", s.grid.dataset);
  put(out, "architecture", s.grid.architecture);
  put(out, "normalization", s.grid.normalization);
  put(out, "pretraining", s.grid.pretraining);
  put(out, "seed", s.grid.seed);
  put(out, "labels", s.grid.labels);
  out << YAML::EndMap;
  put_train(out, s.train, nullptr);
  put_extract(out, s.extract, nullptr);
  put_clustering(out, s);
  begin(out, "parallel");
  put(out, "ranks_per_run", s.parallel.ranks_per_run);
  put(out, "backend", s.parallel.backend);
  if (s.parallel.max_hours > 0) put(out, "max_hours", s.parallel.max_hours);
  put(out, "progress_every", s.parallel.progress_every);
  out << YAML::EndMap;
  put_data(out, s.data, "");
  emit_slurm(out, s.slurm);
  emit_findings(out, s.findings);
  emit_report(out, s.report_runs);
  out << YAML::EndMap;
  return text_of(out);
}

}  // namespace cp::detail

namespace cp {

std::string resolved_run_yaml(const RunFields& r) {
  using namespace detail;  // the emitting helpers above
  YAML::Emitter out;
  out << YAML::BeginMap;
  put(out, "dataset", r.dataset);
  put(out, "architecture", r.architecture);
  put(out, "normalization", r.normalization);
  put(out, "pretraining", r.pretraining);
  put(out, "seed", r.seed);
  if (r.labels != "coarse") put(out, "labels", r.labels);
  // The pretraining run's id stands for everything it was trained with.
  if (!r.parent_id.empty()) put(out, "pretrained_from", r.parent_id);
  if (!r.torchscript_hash.empty()) put(out, "torchscript_content", r.torchscript_hash);
  put(out, "data_content", r.data_hash);
  put_train(out, r.train, &r);
  put_extract(out, r.extract, &r);
  put_data(out, r.data, r.dataset);
  out << YAML::EndMap;
  return text_of(out);
}

std::string training_run_yaml(const RunFields& r, const std::string& parent_training_id) {
  using namespace detail;
  YAML::Emitter out;
  out << YAML::BeginMap;
  put(out, "architecture", r.architecture);
  put(out, "normalization", r.normalization);
  put(out, "seed", r.seed);
  put(out, "labels", r.labels);
  if (!parent_training_id.empty()) put(out, "starts_from", parent_training_id);
  if (!r.torchscript_hash.empty()) put(out, "torchscript_content", r.torchscript_hash);
  put(out, "training_data", r.training_data_hash);
  put_train(out, r.train, &r);
  // The snapshots training keeps for the stored epochs: every analysis of the
  // training reads the same ones.
  put(out, "stored_epochs", r.extract_epochs);
  put_data(out, r.data, r.dataset);
  out << YAML::EndMap;
  return text_of(out);
}

std::vector<std::pair<std::string, std::string>> clustering_settings(const StudyConfig& study) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  detail::put_clustering(out, study);
  out << YAML::EndMap;
  // Flattened to dotted keys, each value as one line of flow YAML.
  std::vector<std::pair<std::string, std::string>> settings;
  const auto flow = [](const YAML::Node& v) {
    YAML::Emitter e;
    e << YAML::Flow << v;
    return std::string(e.c_str());
  };
  for (const auto& section : YAML::Load(out.c_str())) {
    const std::string name = section.first.as<std::string>();
    if (!section.second.IsMap()) {
      settings.emplace_back(name, flow(section.second));
      continue;
    }
    for (const auto& field : section.second) settings.emplace_back(name + "." + field.first.as<std::string>(), flow(field.second));
  }
  return settings;
}

}  // namespace cp
