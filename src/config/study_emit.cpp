#include <yaml-cpp/yaml.h>

#include "clusterprobe/common/error.hpp"
#include "resolved.hpp"
#include "yaml_reader.hpp"

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

void begin(YAML::Emitter& out, const char* key) {
  out << YAML::Key << key << YAML::Value << YAML::BeginMap;
}

std::string text_of(const YAML::Emitter& out) {
  if (!out.good()) CP_THROW_INTERNAL("YAML emitter: " + out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

enum class Purpose { study, run };

void put_train(YAML::Emitter& out, const TrainConfig& t, Purpose purpose) {
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
  out << YAML::EndMap;
}

void put_extract(YAML::Emitter& out, const ExtractConfig& e) {
  begin(out, "extract");
  put(out, "split", e.split);
  put(out, "layers", e.layers);
  put(out, "max_samples", e.max_samples);
  put(out, "spatial", e.spatial);
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

// `dataset` empty: every field (the study); otherwise only those it reads.
void put_data(YAML::Emitter& out, const DataConfig& d, const std::string& dataset) {
  const bool all = dataset.empty();
  const bool fmnist = dataset.rfind("fmnist/", 0) == 0;
  begin(out, "data");
  if (all || fmnist) {
    put(out, "fmnist_dir", d.fmnist_dir);
    put(out, "hierarchy_dir", d.hierarchy_dir);
  }
  if (all || dataset.rfind("synthetic/", 0) == 0) put_synthetic(out, d);
  out << YAML::EndMap;
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
  out << YAML::EndMap;
  put_train(out, s.train, Purpose::study);
  put_extract(out, s.extract);
  begin(out, "cluster");
  put(out, "methods", s.cluster.methods);
  put(out, "restarts", s.cluster.restarts);
  put(out, "max_iter", s.cluster.max_iter);
  put(out, "tol", s.cluster.tol);
  put(out, "preprocess", s.cluster.preprocess);
  put(out, "knn", s.cluster.knn);
  put(out, "ssc_alpha", s.cluster.ssc_alpha);
  put(out, "ssc_admm_max_points", s.cluster.ssc_admm_max_points);
  put(out, "ssc_omp_sparsity", s.cluster.ssc_omp_sparsity);
  put(out, "community", s.cluster.community);
  put(out, "resolution", s.cluster.resolution);
  put(out, "silhouette_max_points", s.cluster.silhouette_max_points);
  out << YAML::EndMap;
  put(out, "metrics", s.metrics);
  begin(out, "parallel");
  put(out, "ranks_per_run", s.parallel.ranks_per_run);
  put(out, "backend", s.parallel.backend);
  out << YAML::EndMap;
  put_data(out, s.data, "");
  out << YAML::EndMap;
  return text_of(out);
}

std::string resolved_run_yaml(const RunSpec& r) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  put(out, "dataset", r.dataset);
  put(out, "architecture", r.architecture);
  put(out, "normalization", r.normalization);
  put(out, "pretraining", r.pretraining);
  put(out, "seed", r.seed);
  put_train(out, r.train, Purpose::run);
  put_extract(out, r.extract);
  put_data(out, r.data, r.dataset);
  out << YAML::EndMap;
  return text_of(out);
}

}  // namespace cp::detail
