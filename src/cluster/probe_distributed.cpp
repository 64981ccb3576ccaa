#include "clusterprobe/cluster/probe_distributed.hpp"

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
#include "probe_scores.hpp"

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
                  const ClusterParams& config, const std::vector<std::string>& metrics, MPI_Comm comm)
      : file_(file), key_(key), config_(config), comm_(comm), rank_(comm_rank(comm)),
        records_{run_id, key_, metrics, out_} {
    const int size = comm_size(comm);
    const std::int64_t n = key.rows;
    first_ = n * rank_ / size;
    last_ = n * (rank_ + 1) / size;
    if (n < 2) throw InputError(std::to_string(n) + " row(s): nothing to cluster");
    if (fine_set(all_rows()).size() < 2) throw InputError("one fine class only: nothing to recover");
    collective(comm, [&] { X_ = file.read_rows(key, first_, last_ - first_); });
    agree(ErrorKind::input, non_finite(), comm);
    // Collapse is a property of the raw features: measured before preprocessing.
    if (records_.wants("nc1")) collapse();
    for (const auto& step : config.preprocess) preprocess_step(step);
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
    if (rank_ == 0) records_.add_means("kmeans", per_metric);
    const auto all = all_rows();
    cluster(all, static_cast<int>(fine_set(all).size()), detail::kProbeSeed, "global", nullptr);
    const auto predicted = file_.predicted_coarse_at(key_.epoch);
    if (records_.wants("accuracy") && predicted) e2e_accuracy(*predicted);
  }

  void unsupported(const std::vector<std::string>& what) {
    if (rank_ != 0 || what.empty()) return;
    std::string list;
    for (const auto& w : what) list += (list.empty() ? "" : ", ") + w;
    const std::string message = file_.path() + ": /epoch_" + std::to_string(key_.epoch) + "/" + key_.layer + ": " +
                                list + ": not available for an item clustered across ranks (its " +
                                std::to_string(key_.rows) + " x " + std::to_string(key_.dim) +
                                " matrix is above cluster.max_item_memory); the k-means scores were computed";
    spdlog::error("cluster: {}", message);
    out_.failures.push_back({records_.run_id, key_.layer, key_.epoch, file_.path(), message});
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

  // Sums over the ranks with the same bits everywhere: reduced on rank 0, then broadcast.
  void sum_across(double* values, std::size_t count) const {
    check_mpi(MPI_Reduce(rank_ == 0 ? MPI_IN_PLACE : values, values, static_cast<int>(count), MPI_DOUBLE, MPI_SUM, 0,
                         comm_),
              "MPI_Reduce");
    check_mpi(MPI_Bcast(values, static_cast<int>(count), MPI_DOUBLE, 0, comm_), "MPI_Bcast");
  }

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
      if (rank_ == 0) records_.add("global", "labels", name, value);
    }
  }

  std::string non_finite() const {
    if (X_.allFinite()) return {};
    for (Eigen::Index r = 0; r < X_.rows(); ++r)
      for (Eigen::Index c = 0; c < X_.cols(); ++c)
        if (!std::isfinite(X_(r, c)))
          return "value " + std::to_string(X_(r, c)) + " at row " + std::to_string(first_ + r) + ", column " +
                 std::to_string(c) + ": not finite";
    return {};
  }

  void preprocess_step(const std::string& step) {
    if (step == "l2") {
      preprocess(X_, {"l2"});  // row by row: the same as in memory
    } else if (step == "center") {
      // The in-memory step's double sums, reduced on one rank and broadcast:
      // every rank subtracts the same bits.
      Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(key_.dim);
      for (Eigen::Index i = 0; i < X_.rows(); ++i) sum += X_.row(i).cast<double>();
      sum_across(sum.data(), static_cast<std::size_t>(key_.dim));
      const Eigen::RowVectorXf mean = (sum / static_cast<double>(key_.rows)).cast<float>();
      X_.rowwise() -= mean;
    } else {
      throw InputError("cluster.preprocess step '" + step +
                       "' is not available for an item clustered across ranks (above cluster.max_item_memory): "
                       "use center and l2 only, or raise cluster.max_item_memory");
    }
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
    if (rank_ == 0) {
      std::vector<std::int32_t> pred, truth;
      for (const auto& part : gathered) {
        const auto* p = reinterpret_cast<const std::int32_t*>(part.data());
        pred.insert(pred.end(), p, p + part.size() / sizeof(std::int32_t));
      }
      for (auto r : rows) truth.push_back(file_.fine()[static_cast<std::size_t>(r)]);
      records_.score(scope, "kmeans", rows, truth, pred, collect);
      shared.cluster_to_fine = match_clusters(truth, pred);
    }
    check_mpi(MPI_Bcast(shared.cluster_to_fine.data(), k, MPI_INT32_T, 0, comm_), "kmeans: MPI_Bcast");
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
      records_.add("global", "kmeans", "e2e_accuracy", static_cast<double>(correct) / static_cast<double>(key_.rows));
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

std::int64_t in_memory_item_bytes(std::int64_t rows, std::int64_t dim) {
  return static_cast<std::int64_t>(3.1 * 4.0 * static_cast<double>(rows) * static_cast<double>(dim));
}

RecordBatch cluster_probe_distributed(const ActivationFile& file, const LayerKey& key, const std::string& run_id,
                                      const ClusterParams& config, const std::vector<std::string>& metrics,
                                      MPI_Comm comm) {
  try {
    DistributedItem item(file, key, run_id, config, metrics, comm);
    std::vector<std::string> unsupported;
    for (const auto& method : config.methods) {
      if (method == "kmeans") {
        item.kmeans();
      } else {
        unsupported.push_back("method " + method);
      }
    }
    for (const char* m : {"silhouette", "selectivity", "community"})
      if (std::find(metrics.begin(), metrics.end(), m) != metrics.end()) unsupported.push_back(std::string("metric ") + m);
    item.unsupported(unsupported);
    return item.take();
  } catch (const InputError& e) {
    detail::rethrow_naming(file.path(), key, e);
  }
}

}  // namespace cp
