#include "sampled.hpp"

#include <algorithm>
#include <climits>
#include <map>
#include <utility>

#include "clusterprobe/probe/distributed.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/fields.hpp"
#include "clusterprobe/metrics/silhouette.hpp"
#include "rows.hpp"
#include "scores.hpp"

namespace cp::detail {
namespace {

// One in-memory probe on a sample: which methods and measures, on how many rows.
struct Task {
  std::vector<Method> methods;
  std::vector<Measure> metrics;
  std::int64_t points = 0;
  std::uint64_t seed = 0;
  // Where a partial sample's size is recorded (scope, method, metric); silhouette
  // records its own, but subclass_silhouette uses all rows in memory.
  std::string scope, method, metric;
};

// Rows of a sample that fit: in memory within `item_memory` (at least
// kSampleMemoryFloor: a limit set small to force the distributed path must
// not shrink the samples to nothing), and under MPI's int counts when gathered.
constexpr std::int64_t kSampleMemoryFloor = std::int64_t{256} << 20;

std::int64_t fitting_rows(std::int64_t wanted, std::int64_t cols, std::int64_t item_memory) {
  // Counted as if its raw rows were kept (they are not): the slack is for the
  // graphs spectral, ssc and community build over the sample.
  const std::int64_t per_row = std::max<std::int64_t>(1, in_memory_item_bytes(1, cols, true));
  const std::int64_t by_memory = std::max(item_memory, kSampleMemoryFloor) / per_row, by_count = INT_MAX / std::max<std::int64_t>(1, cols);
  return std::max<std::int64_t>(2, std::min({wanted, by_memory, by_count}));
}

// In the order of cluster.methods, so the assignments come in the in-memory path's order.
std::vector<Task> tasks_of(const ClusterParams& config, const std::vector<Measure>& metrics, std::int64_t rows) {
  std::vector<Measure> scores;
  for (const Measure score : {Measure::ami, Measure::ari, Measure::nmi, Measure::accuracy})
    if (has(metrics, score)) scores.push_back(score);
  const std::int64_t m = std::min(rows, config.sample_points);
  const bool community = has(metrics, Measure::community);
  std::vector<Task> tasks;
  for (const Method method : config.methods) {
    if (method == Method::kmeans) continue;  // exact across ranks
    Task t{{method}, scores, m, kProbeSeed, vocab::kGlobal, name_of(method), vocab::kSamplePoints};
    // The community measures share the SSC graph of the sample's rows.
    if (method == Method::ssc && community) t.metrics.push_back(Measure::community);
    tasks.push_back(std::move(t));
  }
  if (community && !has(config.methods, Method::ssc))
    tasks.push_back({{}, {Measure::community}, m, kProbeSeed, vocab::kGlobal, vocab::kSsc, vocab::kSamplePoints});
  if (has(metrics, Measure::silhouette)) {
    const std::int64_t n = config.silhouette_max_points > 0 ? std::min(rows, config.silhouette_max_points) : rows;
    tasks.push_back({{}, {Measure::silhouette}, n, 0, vocab::kMean, vocab::kLabels, "subclass_silhouette_points"});
  }
  return tasks;
}

template <class T>
std::vector<T> pick(const std::vector<T>& values, const std::vector<std::int64_t>& rows) {
  std::vector<T> out;
  out.reserve(rows.size());
  for (auto r : rows) out.push_back(values[static_cast<std::size_t>(r)]);
  return out;
}

}  // namespace

RowMatrixXf gather_rows_to(const RowMatrixXf& block, std::int64_t first, const std::vector<std::int64_t>& rows,
                           int root, MPI_Comm comm) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  const std::int64_t last = first + block.rows();
  const auto lo = std::lower_bound(rows.begin(), rows.end(), first);
  const auto hi = std::lower_bound(lo, rows.end(), last);
  RowMatrixXf mine(hi - lo, block.cols());
  for (auto it = lo; it != hi; ++it) mine.row(it - lo) = block.row(*it - first);
  // Blocks are consecutive in rank order, so rank order is row order.
  std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size), 0);
  const int count = static_cast<int>(mine.size());
  check_mpi(MPI_Allgather(&count, 1, MPI_INT, counts.data(), 1, MPI_INT, comm), "gather rows: MPI_Allgather");
  for (int r = 1; r < size; ++r) displs[r] = displs[r - 1] + counts[r - 1];
  RowMatrixXf all(rank == root ? static_cast<Eigen::Index>(rows.size()) : 0, block.cols());
  check_mpi(MPI_Gatherv(mine.data(), count, MPI_FLOAT, all.data(), counts.data(), displs.data(), MPI_FLOAT, root, comm),
            "gather rows: MPI_Gatherv");
  return all;
}

RecordBatch probe_sampled(const SplitItem& item, const LayerKey& key, const std::string& run_id,
                          const ClusterParams& config, const std::vector<Measure>& metrics,
                          std::int64_t item_memory, MPI_Comm comm) {
  const int size = comm_size(comm), rank = comm_rank(comm);
  const auto rows = static_cast<std::int64_t>(item.fine.size());
  const auto tasks = tasks_of(config, metrics, rows);
  std::string mine;  // this rank's tasks' records: (task, batch) fields
  // Rounds of one task per rank: each rank holds at most one sample at a time.
  for (std::size_t first = 0; first < tasks.size(); first += static_cast<std::size_t>(size)) {
    const std::size_t end = std::min(tasks.size(), first + static_cast<std::size_t>(size));
    ProbeRows sample;
    std::size_t task = tasks.size();
    for (std::size_t t = first; t < end; ++t) {
      const int root = static_cast<int>(t - first);
      const std::int64_t m = fitting_rows(tasks[t].points, item.X.cols(), item_memory);
      auto picked = silhouette_sample(rows, m, tasks[t].seed);
      RowMatrixXf X = gather_rows_to(item.X, item.first, picked, root, comm);
      if (root != rank) continue;
      task = t;
      sample.X = std::move(X);
      sample.fine = pick(item.fine, picked);
      sample.coarse = pick(item.coarse, picked);
      if (item.predicted) sample.predicted = pick(*item.predicted, picked);
      sample.index = std::move(picked);
    }
    collective(comm, [&] {
      if (task == tasks.size()) return;
      const Task& t = tasks[task];
      ClusterParams sub = config;
      sub.methods = t.methods;
      const auto points = static_cast<double>(sample.index.size());
      const bool partial = sample.index.size() < static_cast<std::size_t>(rows);
      RecordBatch got = probe_rows(std::move(sample), key, run_id, sub, t.metrics);
      if (partial) ItemRecords{run_id, key, metrics, got}.add(t.scope, t.method, t.metric, points);
      put_field(mine, static_cast<std::int64_t>(task));
      put_field(mine, serialize_batch(got));
    });
  }
  const auto parts = gather_bytes(mine, comm, 0);
  RecordBatch out;
  if (rank != 0) return out;
  std::map<std::int64_t, RecordBatch> by_task;
  for (const auto& part : parts) {
    FieldReader in(part);
    while (!in.done()) {
      const std::int64_t t = in.integer();
      by_task[t] = deserialize_batch(in.text());
    }
  }
  for (auto& [t, batch] : by_task) out.append(std::move(batch));
  return out;
}

}  // namespace cp::detail
