#include "clusterprobe/probe/distributed.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <spdlog/spdlog.h>

#include "clusterprobe/cluster/kmeans_parallel.hpp"
#include "clusterprobe/cluster/methods.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"
#include "clusterprobe/metrics/collapse.hpp"
#include "rows.hpp"
#include "sampled.hpp"
#include "scores.hpp"

namespace cp {
namespace {

// One superclass's (or the global) clustering, as every rank knows it.
struct Shared {
  RowMatrixXf centroids;
  std::vector<std::int32_t> cluster_to_fine;  // Hungarian match, from rank 0
};

class DistributedItem {
 public:
  DistributedItem(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                  const ClusterParams& config, const std::vector<Measure>& metrics, MPI_Comm comm)
      : file_(file), key_(key), config_(config), comm_(comm), rank_(comm_rank(comm)),
        records_{run_id, key_, metrics, out_} {
    const int size = comm_size(comm);
    const std::int64_t n = key.rows;
    first_ = n * rank_ / size;
    last_ = n * (rank_ + 1) / size;
    detail::require_scorable(n, fine_set(all_rows()).size());
    collective(comm, [&] { X_ = file.read_rows(key, first_, last_ - first_); });
    agree(ErrorKind::input, non_finite(""), comm);
    // Collapse and selectivity are properties of the raw features: measured before preprocessing.
    if (records_.wants(Measure::nc1)) collapse();
    if (records_.wants(Measure::selectivity)) selectivity();
    preprocess(X_, config.preprocess, RowHolders{key.rows, [this](double* v, std::size_t n) { sum_across(v, n); }});
    const std::string after = " after preprocessing (" + std::to_string(config.preprocess.size()) + " steps)";
    agree(ErrorKind::input, non_finite(after), comm);
    agree(ErrorKind::input, detail::magnitude_problem(X_, first_, after), comm);
  }

  // Spectral, ssc, community and silhouette: on samples (sampled.hpp).
  void sampled(std::int64_t item_memory) {
    const auto predicted = file_.predicted_coarse_at(key_.epoch);
    const detail::SplitItem item{X_, first_, file_.fine(), file_.coarse(), predicted};
    out_.append(detail::probe_sampled(item, key_, records_.run_id, config_, records_.metrics, item_memory, comm_));
  }

  void kmeans() {
    std::map<std::string, std::vector<double>> per_metric;
    for (const auto& [s, rows] : rows_of_superclass()) {
      const auto subclasses = fine_set(rows);
      if (subclasses.size() < 2) {
        single_subclass_[s] = *subclasses.begin();
        continue;
      }
      per_super_[s] = cluster(rows, static_cast<int>(subclasses.size()), detail::kProbeSeed + static_cast<std::uint64_t>(s) + 1,
                              std::to_string(s), &per_metric);
    }
    if (rank_ == 0) records_.add_means(name_of(Method::kmeans), per_metric);
    const auto all = all_rows();
    cluster(all, static_cast<int>(fine_set(all).size()), detail::kProbeSeed, vocab::kGlobal, nullptr);
    const auto predicted = file_.predicted_coarse_at(key_.epoch);
    if (records_.wants(Measure::accuracy) && predicted) e2e_accuracy(*predicted);
  }

  RecordBatch take() { return std::move(out_); }

 private:
  std::vector<std::int64_t> all_rows() const {
    std::vector<std::int64_t> rows(file_.fine().size());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<std::int64_t>(i);
    return rows;
  }

  std::map<std::int32_t, std::vector<std::int64_t>> rows_of_superclass() const {
    std::map<std::int32_t, std::vector<std::int64_t>> rows;
    const auto& coarse = file_.coarse();
    for (std::size_t i = 0; i < coarse.size(); ++i) rows[coarse[i]].push_back(static_cast<std::int64_t>(i));
    return rows;
  }

  std::set<std::int32_t> fine_set(const std::vector<std::int64_t>& rows) const {
    std::set<std::int32_t> s;
    for (auto r : rows) s.insert(file_.fine()[static_cast<std::size_t>(r)]);
    return s;
  }

  // Sums over the ranks with the same bits everywhere.
  void sum_across(double* values, std::size_t count) const { sum_same_bits(values, count, comm_); }

  // NC1 of the fine and coarse labels from class sums and scatter reduced over the ranks.
  void collapse() {
    const auto sum = [this](double* v, std::size_t n) { sum_across(v, n); };
    for (const auto& [name, labels] : {std::pair<const char*, const std::vector<std::int32_t>*>{"nc1_fine", &file_.fine()},
                                       {"nc1_coarse", &file_.coarse()}}) {
      const std::set<std::int32_t> distinct(labels->begin(), labels->end());
      // One superclass (a domain-split or hand-made file) has no coarse collapse to measure.
      if (distinct.size() < 2) continue;
      const std::vector<std::int32_t> local(labels->begin() + first_, labels->begin() + last_);
      const double value = nc1(X_, local, std::vector<std::int32_t>(distinct.begin(), distinct.end()), sum);
      if (rank_ == 0) records_.add(vocab::kGlobal, vocab::kLabels, name, value);
    }
  }

  std::string non_finite(const std::string& when) const {
    if (all_finite(X_)) return {};
    for (Eigen::Index r = 0; r < X_.rows(); ++r)
      for (Eigen::Index c = 0; c < X_.cols(); ++c)
        if (!std::isfinite(X_(r, c)))
          return "value " + std::to_string(X_(r, c)) + " at row " + std::to_string(first_ + r) + ", column " +
                 std::to_string(c) + when + ": not finite";
    return {};
  }

  // Carbonnelle's c1 from subclass counts, means and squared deviations reduced over the ranks.
  void selectivity() {
    const auto& fine = file_.fine();
    const auto& coarse = file_.coarse();
    std::set<std::pair<std::int32_t, std::int32_t>> pairs;
    for (std::size_t i = 0; i < fine.size(); ++i) pairs.emplace(coarse[i], fine[i]);
    const std::vector<std::int32_t> local_fine(fine.begin() + first_, fine.begin() + last_),
        local_coarse(coarse.begin() + first_, coarse.begin() + last_);
    const double value = subclass_selectivity(X_, local_fine, local_coarse, {pairs.begin(), pairs.end()},
                                              [this](double* v, std::size_t n) { sum_across(v, n); });
    if (rank_ == 0) records_.add(vocab::kMean, vocab::kLabels, vocab::kSubclassSelectivity, value);
  }

  // Collective. k-means of `rows` (global indices, ascending) from the rows
  // this rank holds; rank 0 scores the gathered labels.
  Shared cluster(const std::vector<std::int64_t>& rows, int k, std::uint64_t seed, const std::string& scope,
                 std::map<std::string, std::vector<double>>* collect) {
    std::vector<std::int64_t> local;
    for (auto r : rows)
      if (r >= first_ && r < last_) local.push_back(r - first_);
    KMeansParams params = config_.kmeans;
    params.k = k;
    params.seed = seed;
    // All of this rank's rows (the global clustering): no copy of the shard.
    const bool whole = static_cast<Eigen::Index>(local.size()) == X_.rows();
    RowMatrixXf subset;
    if (!whole) subset = select_rows(X_, local);
    const auto result = kmeans_parallel(whole ? X_ : subset, params, comm_);
    const auto gathered = gather_bytes(std::string(reinterpret_cast<const char*>(result.labels.data()),
                                                   result.labels.size() * sizeof(std::int32_t)),
                                       comm_, 0);
    Shared shared{result.centroids, std::vector<std::int32_t>(static_cast<std::size_t>(k), -1)};
    // Rank 0 scores; the others wait for its verdict, never for a rank that failed.
    collective(comm_, [&] {
      if (rank_ != 0) return;
      std::vector<std::int32_t> pred, truth;
      for (const auto& part : gathered) {
        const auto* p = reinterpret_cast<const std::int32_t*>(part.data());
        pred.insert(pred.end(), p, p + part.size() / sizeof(std::int32_t));
      }
      for (auto r : rows) truth.push_back(file_.fine()[static_cast<std::size_t>(r)]);
      records_.score(scope, name_of(Method::kmeans), rows, truth, pred, collect);
      shared.cluster_to_fine = match_clusters(truth, pred);
    });
    broadcast_from_root(shared.cluster_to_fine.data(), shared.cluster_to_fine.size() * sizeof(std::int32_t), comm_);
    return shared;
  }

  // The network's superclass, then the nearest of that superclass's
  // centroids: counted on each rank's rows, summed exactly.
  void e2e_accuracy(const std::vector<std::int32_t>& predicted) {
    const auto& fine = file_.fine();
    std::map<std::int32_t, std::vector<std::int64_t>> by_prediction;  // local row indices
    for (std::int64_t i = first_; i < last_; ++i) by_prediction[predicted[static_cast<std::size_t>(i)]].push_back(i - first_);
    std::int64_t correct = 0;
    for (const auto& [s, local] : by_prediction) {
      if (const auto it = per_super_.find(s); it != per_super_.end()) {
        const auto nearest = assign_nearest(select_rows(X_, local), it->second.centroids);
        for (std::size_t j = 0; j < local.size(); ++j)
          correct += it->second.cluster_to_fine[static_cast<std::size_t>(nearest[j])] ==
                     fine[static_cast<std::size_t>(first_ + local[j])];
      } else if (const auto one = single_subclass_.find(s); one != single_subclass_.end()) {
        for (auto i : local) correct += one->second == fine[static_cast<std::size_t>(first_ + i)];
      }
    }
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, &correct, 1, MPI_INT64_T, MPI_SUM, comm_), "e2e: MPI_Allreduce");
    if (rank_ == 0)
      records_.add(vocab::kGlobal, name_of(Method::kmeans), vocab::kE2eAccuracy, static_cast<double>(correct) / static_cast<double>(key_.rows));
  }

  const ActivationFile& file_;
  LayerKey key_;
  const ClusterParams& config_;
  MPI_Comm comm_;
  int rank_;
  std::int64_t first_ = 0, last_ = 0;
  RowMatrixXf X_;
  RecordBatch out_;
  detail::ItemRecords records_;
  std::map<std::int32_t, Shared> per_super_;
  std::map<std::int32_t, std::int32_t> single_subclass_;
};

}  // namespace

std::int64_t in_memory_item_bytes(std::int64_t rows, std::int64_t dim, bool raw_rows_kept) {
  const double copies = raw_rows_kept ? 3.1 : 2.1;
  return static_cast<std::int64_t>(copies * 4.0 * static_cast<double>(rows) * static_cast<double>(dim));
}

std::int64_t distributed_item_bytes(std::int64_t rows, std::int64_t dim) {
  return static_cast<std::int64_t>(1.5 * 4.0 * static_cast<double>(rows) * static_cast<double>(dim));
}

RecordBatch cluster_probe_distributed(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                                      const ClusterParams& config, const std::vector<Measure>& metrics,
                                      std::int64_t item_memory, MPI_Comm comm) {
  try {
    DistributedItem item(file, key, run_id, config, metrics, comm);
    if (has(config.methods, Method::kmeans)) item.kmeans();
    item.sampled(item_memory);
    return item.take();
  } catch (const InputError& e) {
    detail::rethrow_naming(file.path(), key, e);
  }
}

}  // namespace cp
