#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <tuple>

#include "clusterprobe/cluster/layer_similarity.hpp"
#include "clusterprobe/cluster/probe.hpp"
#include "clusterprobe/cluster/probe_distributed.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/fields.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/assign.hpp"
#include "progress.hpp"

namespace cp {
namespace {

const std::string kAllLayers = "*";

// A probe item clusters one stored matrix; a similarity item (layer "*")
// compares all layers of one run.
struct WorkItem {
  std::string run_id, path;
  LayerKey key;
  bool similarity() const { return key.layer == kAllLayers; }
};

// Rank 0 lists the work (it opens every file once); the list travels as
// length-prefixed fields, so any layer name survives.
std::string list_items(const std::vector<ClusterInput>& inputs, bool similarity,
                       std::vector<PenultimateRecord>& penultimate) {
  std::string out;
  auto put = [&](const std::string& run_id, const std::string& path, const LayerKey& k) {
    put_field(out, run_id);
    put_field(out, path);
    put_field(out, std::int64_t{k.epoch});
    put_field(out, k.layer);
    put_field(out, k.rows);
    put_field(out, k.dim);
  };
  for (const auto& in : inputs) {
    ActivationFile f(in.path);
    if (const std::string layer = f.string_attr("penultimate"); !layer.empty())
      penultimate.push_back({in.run_id, layer});
    std::int64_t dims = 0;
    for (const auto& k : f.layers()) {
      put(in.run_id, in.path, k);
      dims += k.dim;
    }
    if (similarity) put(in.run_id, in.path, LayerKey{-1, kAllLayers, f.rows(), dims});
  }
  return out;
}

std::string where_of(const WorkItem& w) {
  return w.similarity() ? "layer similarity" : "/epoch_" + std::to_string(w.key.epoch) + "/" + w.key.layer;
}

double item_cost(const WorkItem& w) { return static_cast<double>(w.key.rows) * static_cast<double>(w.key.dim); }

// Collective over world. cluster.max_item_memory, or half of this node's
// memory over the ranks on it (the same on every rank: the smallest).
std::int64_t item_memory_limit(const ClusterParams& config, MPI_Comm world) {
  if (config.max_item_memory > 0) return config.max_item_memory;
  const NodePlacement node = node_placement(world);
  const double memory = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGE_SIZE));
  std::int64_t limit = static_cast<std::int64_t>(memory / std::max(1, node.local_size) / 2);
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &limit, 1, MPI_INT64_T, MPI_MIN, world), "cluster: MPI_Allreduce");
  return limit;
}

// What an item would take on one rank. A run's similarity item holds all of
// its layers at once (its dim is their sum) and is counted as a probe that
// keeps its raw rows.
std::int64_t memory_in_one_rank(const WorkItem& w, const StudyConfig& study) {
  return in_memory_item_bytes(w.key.rows, w.key.dim, w.similarity() || measures_raw_rows(study.metrics));
}

// An item above the limit is clustered by a group of ranks together, each
// holding its block of rows.
bool is_big(const WorkItem& w, const StudyConfig& study, std::int64_t limit) {
  return memory_in_one_rank(w, study) > limit;
}

bool wants_ssc(const StudyConfig& study) {
  const auto& methods = study.cluster.methods;
  return std::find(methods.begin(), methods.end(), "ssc") != methods.end();
}

// Collective over a group: its big items one after another, all of its
// ranks on each; a failed item is recorded (by the group's rank 0) like any other.
RecordBatch run_big_items(const std::vector<WorkItem>& items, const std::vector<std::size_t>& big,
                          const StudyConfig& study, std::int64_t limit, MPI_Comm world) {
  const int rank = comm_rank(world);
  RecordBatch mine;
  for (const std::size_t i : big) {
    const auto& w = items[i];
    if (rank == 0)
      spdlog::info("cluster: {} {} ({} x {}) across {} ranks: it would take {} MB in memory, above {} MB "
                   "(cluster.max_item_memory)", w.run_id, where_of(w), w.key.rows, w.key.dim,
                   comm_size(world), memory_in_one_rank(w, study) / 1000000, limit / 1000000);
    try {
      RecordBatch got;
      collective(world, [&] {
        const ActivationFile file(w.path);
        got = w.similarity() ? layer_similarity_distributed(file, w.run_id, study.cluster, wants_ssc(study), world)
                             : cluster_probe_distributed(file, w.key, w.run_id, study.cluster, study.metrics, limit, world);
      });
      mine.append(std::move(got));
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const Error*>(&e);
      if (!(error && error->agreed())) throw;  // not agreed: the caller aborts the world
      std::string message = message_of(e);
      if (message.rfind(w.path, 0) != 0) message = w.path + ": " + where_of(w) + ": " + message;
      if (rank == 0) {
        spdlog::error("cluster: {}", message);
        mine.failures.push_back({w.run_id, w.key.layer, w.key.epoch, w.path, message});
      }
    }
  }
  return mine;
}

// Big items run on groups of consecutive ranks, each group through its share
// of them (by cost, largest first) while the other groups do theirs. A group
// has enough ranks that none holds more than the limit: the distributed path
// needs distributed_item_bytes() over all its ranks, and the most demanding
// big item sets the size. Ranks past the last whole group join it.
struct BigPlan {
  int world = 1, group_size = 1, groups = 1;
  std::vector<int> owner;  // group of each big item
  int group_of_rank(int rank) const { return std::min(rank / group_size, groups - 1); }
  double ranks_in(int group) const {
    return group == groups - 1 ? world - group_size * (groups - 1) : group_size;
  }
};

BigPlan plan_big_items(const std::vector<WorkItem>& items, const std::vector<std::size_t>& big, std::int64_t limit,
                       int world) {
  BigPlan plan;
  plan.world = world;
  std::vector<double> costs;
  for (const auto i : big) {
    const double need = static_cast<double>(distributed_item_bytes(items[i].key.rows, items[i].key.dim));
    const double ranks = std::ceil(need / static_cast<double>(std::max<std::int64_t>(limit, 1)));
    plan.group_size = std::max(plan.group_size, static_cast<int>(std::min<double>(world, ranks)));
    costs.push_back(item_cost(items[i]));
  }
  plan.groups = std::max(1, world / plan.group_size);
  plan.owner = assign_lpt(costs, plan.groups);
  return plan;
}

std::vector<WorkItem> parse_items(const std::string& bytes) {
  std::vector<WorkItem> items;
  FieldReader in(bytes);
  while (!in.done()) {
    WorkItem w;
    w.run_id = in.text();
    w.path = in.text();
    w.key.epoch = static_cast<int>(in.integer());
    w.key.layer = in.text();
    w.key.rows = in.integer();
    w.key.dim = in.integer();
    items.push_back(std::move(w));
  }
  return items;
}

// An item that cannot be scored (NaN/Inf, too few rows, an unreadable
// matrix) is recorded as a failure naming file, layer and epoch; the others go on.
RecordBatch run_items(const std::vector<WorkItem>& items, const std::vector<int>& owner, int rank,
                      const StudyConfig& study) {
  RecordBatch mine;
  std::map<std::string, std::unique_ptr<ActivationFile>> files;
  // This rank's share, for its progress lines (rows x columns: the cost model of the assignment).
  double share_cost = 0, done_cost = 0;
  int share = 0, done = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (owner[i] != rank) continue;
    ++share;
    share_cost += item_cost(items[i]);
  }
  const auto start = std::chrono::steady_clock::now();
  auto last_line = start;
  auto progress = [&](bool force) {
    const auto now = std::chrono::steady_clock::now();
    if (!force && std::chrono::duration<double>(now - last_line).count() < study.parallel.progress_every) return;
    last_line = now;
    const double secs = std::chrono::duration<double>(now - start).count();
    spdlog::info("cluster: rank {}: {} of its {} items done ({} in all), ETA {}", rank, done, share, items.size(),
                 detail::duration_text(detail::eta_seconds(done_cost, secs, share_cost - done_cost, 1)));
  };
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (owner[i] != rank) continue;
    const auto& w = items[i];
    progress(false);
    ++done;
    done_cost += item_cost(w);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      auto& file = files[w.path];
      if (!file) file = std::make_unique<ActivationFile>(w.path);
      if (w.similarity()) {
        mine.append(layer_similarity(*file, w.run_id, study.cluster, wants_ssc(study)));
      } else {
        mine.append(cluster_probe(*file, w.key, w.run_id, study.cluster, study.metrics));
      }
    } catch (const std::exception& e) {
      std::string message = message_of(e);
      if (kind_of(e) == ErrorKind::internal) message = "internal error: " + message;
      if (message.rfind(w.path, 0) != 0) message = w.path + ": " + where_of(w) + ": " + message;
      spdlog::error("cluster: {}", message);
      mine.failures.push_back({w.run_id, w.key.layer, w.key.epoch, w.path, message});
      continue;
    }
    spdlog::debug("clustered {} epoch {} {} ({}x{}) in {:.2f} s", w.run_id, w.key.epoch, w.key.layer,
                  w.key.rows, w.key.dim,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  progress(true);
  return mine;
}

}  // namespace

ClusterSummary cluster_stage(const std::vector<ClusterInput>& inputs, const StudyConfig& study,
                             const std::string& out_dir, MPI_Comm world) {
  const int rank = comm_rank(world), size = comm_size(world);
  std::string listing;
  std::vector<PenultimateRecord> penultimate;  // rank 0's, from the files it lists
  collective(world, [&] {
    if (rank != 0) return;
    if (inputs.empty())
      throw InputError(out_dir + ": no complete run file to cluster: run `train` first");
    const auto& m = study.metrics;
    listing = list_items(inputs, std::find(m.begin(), m.end(), "cka") != m.end(), penultimate);
  });
  const auto items = parse_items(broadcast_bytes(listing, world, 0));
  const std::int64_t limit = item_memory_limit(study.cluster, world);
  // Big items first, all ranks on each; the small ones spread by cost after them.
  std::vector<std::size_t> big, small;
  std::vector<double> costs;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (is_big(items[i], study, limit)) {
      big.push_back(i);
    } else {
      small.push_back(i);
      costs.push_back(item_cost(items[i]));
    }
  }
  const BigPlan plan = plan_big_items(items, big, limit, size);
  // Each rank's share of its group's big items, then the small ones around it.
  std::vector<double> load(static_cast<std::size_t>(size), 0.0);
  for (std::size_t j = 0; j < big.size(); ++j)
    for (int r = 0; r < size; ++r)
      if (plan.group_of_rank(r) == plan.owner[j]) load[static_cast<std::size_t>(r)] += item_cost(items[big[j]]) / plan.ranks_in(plan.owner[j]);
  const auto lpt = assign_lpt(costs, load);
  std::vector<int> owner(items.size(), -1);
  for (std::size_t j = 0; j < small.size(); ++j) owner[small[j]] = lpt[j];
  if (rank == 0 && big.empty())
    spdlog::info("cluster: {} items from {} files on {} ranks (0 across ranks)", items.size(), inputs.size(), size);
  if (rank == 0 && !big.empty())
    spdlog::info("cluster: {} items from {} files on {} ranks ({} across ranks, in {} group(s) of {} ranks or more)",
                 items.size(), inputs.size(), size, big.size(), plan.groups, plan.group_size);

  RecordBatch mine;
  {
    const int group = plan.group_of_rank(rank);
    MPI_Comm comm = MPI_COMM_NULL;
    check_mpi(MPI_Comm_split(world, group, rank, &comm), "cluster: MPI_Comm_split");
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    std::vector<std::size_t> ours;
    for (std::size_t j = 0; j < big.size(); ++j)
      if (plan.owner[j] == group) ours.push_back(big[j]);
    try {
      mine = run_big_items(items, ours, study, limit, comm);
    } catch (...) {
      MPI_Comm_free(&comm);
      throw;
    }
    MPI_Comm_free(&comm);
  }
  collective(world, [&] { mine.append(run_items(items, owner, rank, study)); });

  const auto parts = gather_bytes(serialize_batch(mine), world, 0);
  const auto failed = from_root<std::int64_t>(world, [&] {
    RecordBatch all;
    for (const auto& p : parts) all.append(deserialize_batch(p));
    all.penultimate = penultimate;
    // A total order: the same rows in the same order whichever path (in
    // memory, across ranks) and however many ranks computed them.
    auto key = [](const auto& r) { return std::tie(r.run_id, r.epoch, r.layer, r.scope, r.method); };
    std::stable_sort(all.metrics.begin(), all.metrics.end(), [&](const MetricRecord& a, const MetricRecord& b) {
      return std::tuple_cat(key(a), std::tie(a.metric)) < std::tuple_cat(key(b), std::tie(b.metric));
    });
    std::stable_sort(all.assignments.begin(), all.assignments.end(),
                     [&](const AssignmentRecord& a, const AssignmentRecord& b) { return key(a) < key(b); });
    std::filesystem::create_directories(out_dir);
    write_metrics(out_dir, all, study.resolved_yaml);
    const auto failures = static_cast<std::int64_t>(all.failures.size());
    spdlog::info("cluster: {} metric values written to {}/metrics.h5 and metrics.csv", all.metrics.size(),
                 out_dir);
    if (failures > 0)
      spdlog::error("cluster: {} of {} items failed (listed in metrics.h5:/failures and the report)", failures,
                    items.size());
    return failures;
  });
  return ClusterSummary{static_cast<std::int64_t>(items.size()), failed};
}

}  // namespace cp
