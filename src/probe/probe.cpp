#include "clusterprobe/probe/probe.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "clusterprobe/cluster/affinity.hpp"
#include "clusterprobe/cluster/community.hpp"
#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/methods.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/cluster/spectral.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"
#include "clusterprobe/metrics/collapse.hpp"
#include "clusterprobe/metrics/silhouette.hpp"
#include "rows.hpp"
#include "scores.hpp"

namespace cp {
namespace {

using detail::ProbeRows;

std::size_t fine_count(const std::vector<std::int32_t>& labels) {
  return std::set<std::int32_t>(labels.begin(), labels.end()).size();
}

void require_finite(const RowMatrixXf& m, const std::string& when) {
  if (all_finite(m)) return;
  for (Eigen::Index r = 0; r < m.rows(); ++r)
    for (Eigen::Index c = 0; c < m.cols(); ++c)
      if (!std::isfinite(m(r, c)))
        throw InputError("value " + std::to_string(m(r, c)) + " at row " + std::to_string(r) + ", column " +
                         std::to_string(c) + when + ": not finite");
}

// One clustering of some rows against their fine labels.
struct Clustering {
  std::vector<std::int64_t> rows;
  std::vector<std::int32_t> truth;
  Partition partition;
  std::vector<std::int32_t> cluster_to_fine;  // Hungarian match, -1 if unmatched
};

// Everything one work item needs, and the records it produces.
class Item {
 public:
  Item(ProbeRows rows, const LayerKey& key, const std::string& run_id, const ClusterParams& config,
       const std::vector<Measure>& metrics)
      : rows_(std::move(rows)), key_(key), run_id_(run_id), config_(config), metrics_(metrics),
        raw_(rows_.raw), X_(rows_.X), predicted_(rows_.predicted) {
    const auto& coarse = rows_.coarse;
    for (std::size_t i = 0; i < coarse.size(); ++i) rows_of_[coarse[i]].push_back(static_cast<std::int64_t>(i));
    all_.resize(coarse.size());
    std::iota(all_.begin(), all_.end(), 0);
  }

  void method(Method method) {
    const std::string& name = name_of(method);
    std::map<std::int32_t, Clustering> per_super;
    std::map<std::int32_t, std::int32_t> single_subclass;
    std::map<std::string, std::vector<double>> per_metric;
    // The clusterings: one per superclass with subclasses to recover, then all rows.
    std::vector<std::pair<std::int32_t, const std::vector<std::int64_t>*>> jobs;
    for (const auto& [s, rows] : rows_of_) {
      const std::set<std::int32_t> subclasses = fine_set(rows);
      if (subclasses.size() < 2) {  // nothing to recover inside this superclass
        single_subclass[s] = *subclasses.begin();
        continue;
      }
      jobs.emplace_back(s, &rows);
    }
    const bool global = fine_set(all_).size() >= 2;
    if (global) jobs.emplace_back(-1, &all_);
    std::vector<Clustering> found = clusterings(method, jobs);
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      if (jobs[j].first < 0) continue;
      score(found[j], name, std::to_string(jobs[j].first), &per_metric);
      per_super.emplace(jobs[j].first, std::move(found[j]));
    }
    records_.add_means(name, per_metric);
    if (global) score(found.back(), name, vocab::kGlobal, nullptr);
    if (has(metrics_, Measure::accuracy) && predicted_) {
      add(vocab::kGlobal, name, vocab::kE2eAccuracy, end_to_end_accuracy(per_super, single_subclass));
    }
  }

  // Measures of the labels themselves, no clustering involved (method vocab::kLabels).
  void label_measures() {
    const auto& fine = rows_.fine;
    const auto& coarse = rows_.coarse;
    if (has(metrics_, Measure::silhouette) && fine_set(all_).size() >= 2 && fine_set(all_).size() < all_.size()) {
      for (const char* metric : {"euclidean", "cosine"}) {
        std::int64_t used = 0;
        add(vocab::kGlobal, vocab::kLabels, std::string("silhouette_") + metric,
            silhouette(X_, fine, metric, config_.silhouette_max_points, 0, &used));
        add(vocab::kGlobal, vocab::kLabels, "silhouette_points", static_cast<double>(used));
      }
      add(vocab::kMean, vocab::kLabels, "subclass_silhouette", subclass_silhouette(X_, fine, coarse, "cosine"));
    }
    if (has(metrics_, Measure::nc1)) {
      // Collapse is a property of the raw features, not of a preprocessed view.
      add(vocab::kGlobal, vocab::kLabels, vocab::kNc1Fine, nc1(raw_, fine));
      // One superclass (a domain-split or hand-made file) has no coarse collapse to measure.
      if (fine_count(coarse) >= 2) add(vocab::kGlobal, vocab::kLabels, "nc1_coarse", nc1(raw_, coarse));
    }
    if (has(metrics_, Measure::selectivity)) {
      add(vocab::kMean, vocab::kLabels, vocab::kSubclassSelectivity, subclass_selectivity(raw_, fine, coarse));
    }
  }

  // Community structure of the SSC graph of all rows (the subspace-clustering study).
  void community() {
    const auto& fine = rows_.fine;
    const Affinity& W = ssc_of_all();
    const auto found = detect_communities(W, config_.community, config_.resolution, 0);
    add(vocab::kGlobal, vocab::kSsc, vocab::kModularity, found.modularity);
    add(vocab::kGlobal, vocab::kSsc, "communities", found.count);
    add(vocab::kGlobal, vocab::kSsc, "modularity_fine", modularity(W, fine, config_.resolution));
    add(vocab::kGlobal, vocab::kSsc, "community_ami", adjusted_mutual_info(fine, found.membership));
    add(vocab::kGlobal, vocab::kSsc, vocab::kClassAffinityRatio, class_affinity_ratio(W, fine));
  }

  RecordBatch take() { return std::move(out_); }

 private:
  std::set<std::int32_t> fine_set(const std::vector<std::int64_t>& rows) const {
    std::set<std::int32_t> s;
    for (auto r : rows) s.insert(rows_.fine[static_cast<std::size_t>(r)]);
    return s;
  }

  // The clusterings of `jobs` (superclass, or -1 for all rows; its rows),
  // seeded by superclass + 1 (0 for all rows). k-means runs them together,
  // their restarts spread over the threads as one pool.
  std::vector<Clustering> clusterings(Method method,
                                      const std::vector<std::pair<std::int32_t, const std::vector<std::int64_t>*>>& jobs) {
    std::vector<Clustering> out(jobs.size());
    std::vector<int> k;
    std::vector<std::uint64_t> seed;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      out[j].rows = *jobs[j].second;
      for (auto r : out[j].rows) out[j].truth.push_back(rows_.fine[static_cast<std::size_t>(r)]);
      k.push_back(static_cast<int>(fine_set(out[j].rows).size()));
      seed.push_back(detail::kProbeSeed + static_cast<std::uint64_t>(jobs[j].first + 1));
    }
    if (method == Method::kmeans) {
      std::vector<RowMatrixXf> rows;
      std::vector<const RowMatrixXf*> X;
      for (const auto& c : out) rows.push_back(c.rows.size() == all_.size() ? RowMatrixXf() : select_rows(X_, c.rows));
      for (std::size_t j = 0; j < out.size(); ++j) X.push_back(rows[j].size() > 0 ? &rows[j] : &X_);
      auto partitions = kmeans_each_rows(X, k, config_, seed);
      for (std::size_t j = 0; j < out.size(); ++j) out[j].partition = std::move(partitions[j]);
    } else {
      for (std::size_t j = 0; j < out.size(); ++j) {
        out[j].partition = method == Method::ssc && out[j].rows.size() == all_.size()
                               ? cluster_graph(ssc_of_all(), X_, k[j], config_, seed[j])
                               : cluster_rows(method, select_rows(X_, out[j].rows), k[j], config_, seed[j]);
      }
    }
    for (auto& c : out) c.cluster_to_fine = match_clusters(c.truth, c.partition.labels);
    return out;
  }

  void score(const Clustering& c, const std::string& method, const std::string& scope,
             std::map<std::string, std::vector<double>>* collect) {
    if (rows_.index.empty()) {
      records_.score(scope, method, c.rows, c.truth, c.partition.labels, collect);
      return;
    }
    std::vector<std::int64_t> global;  // a sample's rows: recorded as rows of the stored matrix
    for (auto r : c.rows) global.push_back(rows_.index[static_cast<std::size_t>(r)]);
    records_.score(scope, method, global, c.truth, c.partition.labels, collect);
  }

  // The network's coarse prediction picks the superclass, the nearest of its
  // cluster centres picks the subclass (a superclass with one subclass needs
  // no clustering). Rows predicted into a superclass without clusters are wrong.
  double end_to_end_accuracy(const std::map<std::int32_t, Clustering>& per_super,
                             const std::map<std::int32_t, std::int32_t>& single_subclass) const {
    const auto& fine = rows_.fine;
    const auto& predicted = *predicted_;
    std::map<std::int32_t, std::vector<std::int64_t>> predicted_rows;
    for (std::size_t i = 0; i < fine.size(); ++i) predicted_rows[predicted[i]].push_back(static_cast<std::int64_t>(i));
    std::int64_t correct = 0;
    for (const auto& [s, rows] : predicted_rows) {
      if (auto it = per_super.find(s); it != per_super.end()) {
        const auto nearest = assign_nearest(select_rows(X_, rows), it->second.partition.centroids);
        for (std::size_t j = 0; j < rows.size(); ++j) {
          const auto guess = it->second.cluster_to_fine[static_cast<std::size_t>(nearest[j])];
          correct += guess == fine[static_cast<std::size_t>(rows[j])];
        }
      } else if (auto one = single_subclass.find(s); one != single_subclass.end()) {
        for (auto r : rows) correct += one->second == fine[static_cast<std::size_t>(r)];
      }
    }
    return fine.empty() ? 0.0 : static_cast<double>(correct) / static_cast<double>(fine.size());
  }

  void add(const std::string& scope, const std::string& method, const std::string& metric, double v) {
    records_.add(scope, method, metric, v);
  }

  // The SSC graph of all rows, built once: the global ssc clustering and the
  // community measures share it (building it is the costly part of both).
  const Affinity& ssc_of_all() {
    if (!ssc_all_) ssc_all_ = ssc_affinity(X_, ssc_params(config_, detail::kProbeSeed));
    return *ssc_all_;
  }

  ProbeRows rows_;
  LayerKey key_;
  std::string run_id_;
  const ClusterParams& config_;
  const std::vector<Measure>& metrics_;
  const RowMatrixXf &raw_, &X_;
  const std::optional<std::vector<std::int32_t>>& predicted_;
  std::optional<Affinity> ssc_all_;
  std::map<std::int32_t, std::vector<std::int64_t>> rows_of_;
  std::vector<std::int64_t> all_;
  RecordBatch out_;
  detail::ItemRecords records_{run_id_, key_, metrics_, out_};
};

}  // namespace

namespace detail {

RecordBatch probe_rows(ProbeRows rows, const LayerKey& key, const std::string& run_id, const ClusterParams& config,
                       const std::vector<Measure>& metrics) {
  Item item(std::move(rows), key, run_id, config, metrics);
  for (const auto& method : config.methods) item.method(method);
  item.label_measures();
  if (has(metrics, Measure::community)) item.community();
  return item.take();
}

std::string magnitude_problem(const RowMatrixXf& X, std::int64_t first_row, const std::string& when) {
  if (X.size() == 0) return {};
  // |a - b|^2 summed over the columns, with a factor 4 of slack for the
  // expanded form |a|^2 + |b|^2 - 2 a.b the distance kernels use.
  const double limit = std::sqrt(static_cast<double>(std::numeric_limits<float>::max()) / (4.0 * X.cols()));
  Eigen::Index r = 0, c = 0;
  const double top = X.cwiseAbs().maxCoeff(&r, &c);
  if (top < limit) return {};
  char value[32], bound[32];
  std::snprintf(value, sizeof value, "%.4g", static_cast<double>(X(r, c)));
  std::snprintf(bound, sizeof bound, "%.3g", limit);
  return std::string("value ") + value + " at row " + std::to_string(first_row + r) + ", column " +
         std::to_string(c) + when + ": too large for float32 distances (|value| must stay below " + bound +
         " with " + std::to_string(X.cols()) + " columns); scale the data, or cluster.preprocess: [l2] or [whiten]";
}

void require_scorable(std::int64_t rows, std::size_t fine_classes) {
  if (rows < 2) throw InputError(std::to_string(rows) + " row(s): nothing to cluster");
  if (fine_classes < 2) throw InputError("one fine class only: nothing to recover");
  if (rows < 2 * static_cast<std::int64_t>(fine_classes))
    throw InputError(std::to_string(rows) + " rows for " + std::to_string(fine_classes) +
                     " fine classes: too few to score a clustering (at least 2 rows per class)");
}

}  // namespace detail

bool measures_raw_rows(const std::vector<Measure>& metrics) {
  return has(metrics, Measure::nc1) || has(metrics, Measure::selectivity);
}

RecordBatch cluster_probe(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                          const ClusterParams& config, const std::vector<Measure>& metrics) {
  try {
    ProbeRows rows;
    rows.raw = file.read(key);
    detail::require_scorable(rows.raw.rows(), fine_count(file.fine()));
    require_finite(rows.raw, "");
    // Unless measured as stored, the raw rows become the clustered copy.
    if (measures_raw_rows(metrics)) {
      rows.X = rows.raw;
    } else {
      rows.X = std::move(rows.raw);
      rows.raw = RowMatrixXf();
    }
    preprocess(rows.X, config.preprocess);
    require_finite(rows.X, " after preprocessing (" + std::to_string(config.preprocess.size()) + " steps)");
    if (const std::string why = detail::magnitude_problem(
            rows.X, 0, " after preprocessing (" + std::to_string(config.preprocess.size()) + " steps)");
        !why.empty())
      throw InputError(why);
    rows.fine = file.fine();
    rows.coarse = file.coarse();
    rows.predicted = file.predicted_coarse_at(key.epoch);
    return detail::probe_rows(std::move(rows), key, run_id, config, metrics);
  } catch (const InputError& e) {
    detail::rethrow_naming(file.path(), key, e);
  }
}

}  // namespace cp
