#include "clusterprobe/cluster/probe.hpp"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>

#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace cp {
namespace {

bool has(const std::vector<std::string>& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

RowMatrixXf select_rows(const RowMatrixXf& X, const std::vector<std::int64_t>& rows) {
  RowMatrixXf out(static_cast<Eigen::Index>(rows.size()), X.cols());
  for (std::size_t i = 0; i < rows.size(); ++i) out.row(static_cast<Eigen::Index>(i)) = X.row(rows[i]);
  return out;
}

// One clustering of some rows against their fine labels.
struct Clustering {
  std::vector<std::int64_t> rows;
  std::vector<std::int32_t> truth;
  KMeansResult result;
  std::vector<std::int32_t> cluster_to_fine;  // Hungarian match, -1 if unmatched
};

class ProbeScorer {
 public:
  ProbeScorer(const LayerKey& key, const std::string& run_id, const ClusterConfig& config,
              const std::vector<std::string>& metrics)
      : key_(key), run_id_(run_id), config_(config), metrics_(metrics) {}

  Clustering cluster(const RowMatrixXf& X, std::vector<std::int64_t> rows,
                     const std::vector<std::int32_t>& fine, std::uint64_t seed_offset) const {
    Clustering c;
    c.rows = std::move(rows);
    for (auto r : c.rows) c.truth.push_back(fine[static_cast<std::size_t>(r)]);
    const std::set<std::int32_t> classes(c.truth.begin(), c.truth.end());
    KMeansParams p;
    p.k = static_cast<int>(classes.size());
    p.restarts = config_.restarts;
    p.max_iter = config_.max_iter;
    p.tol = config_.tol;
    p.seed = 1234 + seed_offset;
    c.result = kmeans(select_rows(X, c.rows), p);
    c.cluster_to_fine = match_clusters(c.truth, c.result.labels);
    return c;
  }

  void score(const Clustering& c, const std::string& scope, RecordBatch& out,
             std::map<std::string, std::vector<double>>* collect) const {
    auto add = [&](const std::string& metric, double value) {
      out.metrics.push_back({run_id_, key_.layer, key_.epoch, scope, "kmeans", metric, value});
      if (collect) (*collect)[metric].push_back(value);
    };
    if (has(metrics_, "ami")) add("ami", adjusted_mutual_info(c.truth, c.result.labels));
    if (has(metrics_, "ari")) add("ari", adjusted_rand(c.truth, c.result.labels));
    if (has(metrics_, "nmi")) add("nmi", normalized_mutual_info(c.truth, c.result.labels));
    if (has(metrics_, "accuracy")) add("accuracy", matched_accuracy(c.truth, c.result.labels));
    out.assignments.push_back({run_id_, key_.layer, key_.epoch, scope, "kmeans", c.rows, c.result.labels});
  }

  void add(RecordBatch& out, const std::string& scope, const std::string& metric, double v) const {
    out.metrics.push_back({run_id_, key_.layer, key_.epoch, scope, "kmeans", metric, v});
  }

 private:
  LayerKey key_;
  std::string run_id_;
  ClusterConfig config_;
  std::vector<std::string> metrics_;
};

// The network's coarse prediction picks the superclass, the nearest of its
// centroids picks the subclass (a superclass with one subclass needs no
// clustering). Rows predicted into a superclass without clusters count as wrong.
double end_to_end_accuracy(const RowMatrixXf& X, const std::vector<std::int32_t>& fine,
                           const std::vector<std::int32_t>& predicted_coarse,
                           const std::map<std::int32_t, Clustering>& per_super,
                           const std::map<std::int32_t, std::int32_t>& single_subclass) {
  std::map<std::int32_t, std::vector<std::int64_t>> predicted_rows;
  for (std::size_t i = 0; i < fine.size(); ++i) {
    predicted_rows[predicted_coarse[i]].push_back(static_cast<std::int64_t>(i));
  }
  std::int64_t correct = 0;
  for (const auto& [s, rows] : predicted_rows) {
    if (auto it = per_super.find(s); it != per_super.end()) {
      const auto nearest = assign_nearest(select_rows(X, rows), it->second.result.centroids);
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

}  // namespace

RecordBatch cluster_probe(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                          const ClusterConfig& config, const std::vector<std::string>& metrics) {
  RowMatrixXf X = file.read(key);
  preprocess(X, config.preprocess);
  const auto& fine = file.fine();
  const auto& coarse = file.coarse();
  ProbeScorer scorer(key, run_id, config, metrics);
  RecordBatch out;

  std::map<std::int32_t, std::vector<std::int64_t>> rows_of;
  for (std::size_t i = 0; i < coarse.size(); ++i) rows_of[coarse[i]].push_back(static_cast<std::int64_t>(i));
  std::map<std::int32_t, Clustering> per_super;
  std::map<std::int32_t, std::int32_t> single_subclass;
  std::map<std::string, std::vector<double>> per_metric;
  for (const auto& [s, rows] : rows_of) {
    std::set<std::int32_t> subclasses;
    for (auto r : rows) subclasses.insert(fine[static_cast<std::size_t>(r)]);
    if (subclasses.size() < 2) {  // nothing to recover inside this superclass
      single_subclass[s] = *subclasses.begin();
      continue;
    }
    auto c = scorer.cluster(X, rows, fine, static_cast<std::uint64_t>(s) + 1);
    scorer.score(c, std::to_string(s), out, &per_metric);
    per_super.emplace(s, std::move(c));
  }
  for (const auto& [metric, values] : per_metric) {
    scorer.add(out, "mean", metric, std::accumulate(values.begin(), values.end(), 0.0) /
                                        static_cast<double>(values.size()));
  }

  std::vector<std::int64_t> all(fine.size());
  std::iota(all.begin(), all.end(), 0);
  const std::set<std::int32_t> fine_classes(fine.begin(), fine.end());
  if (fine_classes.size() >= 2) scorer.score(scorer.cluster(X, all, fine, 0), "global", out, nullptr);

  if (has(metrics, "accuracy") && file.predicted_coarse()) {
    scorer.add(out, "global", "e2e_accuracy",
               end_to_end_accuracy(X, fine, *file.predicted_coarse(), per_super, single_subclass));
  }
  return out;
}

}  // namespace cp
