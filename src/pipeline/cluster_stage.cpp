// The cluster stage: rank 0 lists the items, every rank computes the same
// schedule, the groups score the big items and every rank its small ones,
// and rank 0 writes the gathered records once.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <set>
#include <tuple>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/comm/stop_notice.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/item_schedule.hpp"
#include "cluster_resume.hpp"

namespace cp {
namespace {

// Collective over world: each group scores its big items on its own communicator.
ItemResults score_group_items(const std::vector<WorkItem>& items, const ItemSchedule& schedule,
                              const ProbeSettings& settings, std::int64_t limit, MPI_Comm world, bool& stopped) {
  const int rank = comm_rank(world);
  const int group = schedule.group_of_rank(rank);
  MPI_Comm comm = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(world, group, rank, &comm), "cluster: MPI_Comm_split");
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  std::vector<std::size_t> ours;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (schedule.group[i] == group) ours.push_back(i);
  try {
    ItemResults mine = score_items_together(items, ours, settings, limit, comm, stopped);
    MPI_Comm_free(&comm);
    return mine;
  } catch (...) {
    MPI_Comm_free(&comm);
    throw;
  }
}

// A total order: the same rows in the same order whichever path (in memory,
// across ranks) and however many ranks computed them.
void sort_records(RecordBatch& all) {
  auto key = [](const auto& r) { return std::tie(r.run_id, r.epoch, r.layer, r.scope, r.method); };
  std::stable_sort(all.metrics.begin(), all.metrics.end(), [&](const MetricRecord& a, const MetricRecord& b) {
    return std::tuple_cat(key(a), std::tie(a.metric)) < std::tuple_cat(key(b), std::tie(b.metric));
  });
  std::stable_sort(all.assignments.begin(), all.assignments.end(),
                   [&](const AssignmentRecord& a, const AssignmentRecord& b) { return key(a) < key(b); });
}

void log_schedule(const ItemSchedule& s, std::size_t items, std::size_t files) {
  const auto big = static_cast<std::size_t>(std::count_if(s.group.begin(), s.group.end(), [](int g) { return g >= 0; }));
  if (big == 0)
    spdlog::info("cluster: {} items from {} files on {} ranks (0 across ranks)", items, files, s.world);
  else
    spdlog::info("cluster: {} items from {} files on {} ranks ({} across ranks, in {} group(s) of {} ranks or more)",
                 items, files, s.world, big, s.groups, s.group_size);
}

// The items a stopped command finished (from metrics.partial), on rank 0,
// and those left to do, on every rank.
struct Resumed {
  std::vector<std::string> keys;       ///< rank 0: each item's key
  std::string fingerprint;             ///< rank 0: of the clustering settings
  ItemResults before;                  ///< rank 0: the finished items' records
  std::vector<WorkItem> todo;          ///< the items left
  std::vector<std::size_t> origin;     ///< each of them: its index among all items
};

// Collective over world.
Resumed resume(const std::vector<WorkItem>& items, const StudyConfig& study, const std::string& partial,
               MPI_Comm world) {
  const int rank = comm_rank(world);
  Resumed r;
  std::string done;  // one byte per item: 1 when finished before
  collective(world, [&] {
    if (rank != 0) return;
    r.keys = detail::item_keys(items);
    r.fingerprint = detail::settings_fingerprint(study);
    r.before = detail::load_partial(partial, r.fingerprint, r.keys);
    done.assign(items.size(), '\0');
    for (const auto& b : r.before) done[b.first] = 1;
    if (!r.before.empty())
      spdlog::info("cluster: {} of {} items done before; clustering the other {} ({})", r.before.size(),
                   items.size(), items.size() - r.before.size(), partial);
  });
  done = broadcast_bytes(done, world, 0);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (done[i]) continue;
    r.todo.push_back(items[i]);
    r.origin.push_back(i);
  }
  return r;
}

// Rank 0: metrics.h5 and metrics.csv from every item's records (in the items'
// order, whichever rank or command scored them); returns the failures.
std::int64_t write_all(ItemResults all, const StudyInputs& inputs, const RunFileFacts& facts,
                       const StudyConfig& study, const std::string& out_dir, std::size_t items) {
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  RecordBatch batch;
  for (auto& r : all) batch.append(std::move(r.second));
  batch.penultimate = facts.penultimate;
  batch.sources = facts.sources;
  batch.failures.insert(batch.failures.end(), inputs.lost.begin(), inputs.lost.end());
  sort_records(batch);
  std::filesystem::create_directories(out_dir);
  write_metrics(out_dir, batch, study.resolved_yaml);
  // Done: what a stopped command kept is in metrics.h5 now.
  std::error_code ec;
  std::filesystem::remove(OutputLayout(out_dir).cluster_partial(), ec);
  const auto failures = static_cast<std::int64_t>(batch.failures.size());
  spdlog::info("cluster: {} metric values written to {}/metrics.h5 and metrics.csv", batch.metrics.size(), out_dir);
  const auto lost = static_cast<std::int64_t>(inputs.lost.size());
  if (failures > lost)
    spdlog::error("cluster: {} of {} items failed (listed in metrics.h5:/failures and the report)", failures - lost,
                  items);
  if (lost > 0)
    spdlog::error("cluster: {} run file(s) lost since training (listed in metrics.h5:/failures and the report)", lost);
  return failures;
}

}  // namespace

StudyInputs analyze_inputs(const std::string& path, bool allow_incomplete, std::vector<std::string>& notes) {
  const std::optional<double> complete = ActivationFile(path).number_attr("complete");
  if (complete && *complete != 1.0) {
    const std::string value = *complete == std::floor(*complete) && std::abs(*complete) < 1e15
                                  ? std::to_string(static_cast<std::int64_t>(*complete))
                                  : std::to_string(*complete);
    // Its writer stopped before the end: rows or epochs may be missing or zeros.
    if (!allow_incomplete)
      throw InputError(path + ": complete=" + value + ": the file says it is incomplete (a stopped training " +
                       "leaves its activations so); finish the run (`clusterprobe train`), or pass " +
                       "--allow-incomplete to analyze it anyway");
    notes.push_back(path + " is incomplete (complete=" + value + "), analyzed as it is (--allow-incomplete): " +
                    "its results may miss rows or epochs, or score rows never written");
    spdlog::warn("analyze: {}", notes.back());
  }
  return StudyInputs{{{"analyzed", path}}, {}};
}

StudyInputs study_inputs(const Plan& plan) {
  const OutputLayout layout(plan.study.output);
  std::set<std::string> recorded_complete;
  if (std::filesystem::exists(layout.study_index()))
    for (const auto& r : read_study_index(layout.study_index()))
      if (r.status == RunPhase::complete) recorded_complete.insert(r.id);
  StudyInputs inputs;
  for (const auto& run : plan.runs) {
    const auto path = layout.run(run.id).activations();
    const std::string why = incomplete_reason(path, run);
    if (why.empty()) {
      inputs.files.push_back({run.id, path});
      continue;
    }
    // A file at the final name is complete unless something changed it since;
    // a run the index calls complete has its file. Either is a lost result.
    const bool exists = std::filesystem::exists(path);
    if (!exists && !recorded_complete.count(run.id)) continue;  // not trained yet
    const std::string message = path + ": " + (exists ? "not complete (" + why + ")"
                                                      : "missing, though " + layout.study_index() +
                                                            " records the run complete") +
                                ": not clustered; `clusterprobe train` trains the run again";
    spdlog::error("cluster: run {}: {}", run.id, message);
    inputs.lost.push_back({run.id, "", 0, path, message});
  }
  return inputs;
}

ClusterSummary cluster_stage(const StudyInputs& inputs, const StudyConfig& study, const std::string& out_dir,
                             MPI_Comm world) {
  const int rank = comm_rank(world), size = comm_size(world);
  std::string listing;
  RunFileFacts facts;  // rank 0's, from the files it lists
  collective(world, [&] {
    if (rank != 0) return;
    if (inputs.files.empty() && inputs.lost.empty())
      throw InputError(out_dir + ": no complete run file to cluster: run `train` first");
    listing = list_items(inputs.files, has(study.metrics, Measure::cka), facts);
  });
  const auto items = parse_items(broadcast_bytes(listing, world, 0));
  Resumed resumed = resume(items, study, OutputLayout(out_dir).cluster_partial(), world);
  const std::int64_t limit = item_memory_limit(study.cluster, world);
  std::vector<ItemDemand> demand;
  for (const auto& w : resumed.todo) demand.push_back(demand_of(w, study.metrics, limit));
  const ItemSchedule schedule = schedule_items(demand, limit, size);
  if (rank == 0) log_schedule(schedule, resumed.todo.size(), inputs.files.size());

  // Big items first, all ranks of a group on each; the small ones after them.
  // A stop signal to any rank stops every rank before its next item.
  StopNotice notice(world);
  ProbeSettings settings{study.cluster, study.metrics, study.parallel.progress_every, {}};
  settings.stop = [&notice] { return notice.poll(stop_requested()); };
  bool stopped = false;
  ItemResults mine = score_group_items(resumed.todo, schedule, settings, limit, world, stopped);
  collective(world, [&] {
    for (auto& r : score_own_items(resumed.todo, schedule.owner, rank, settings, stopped)) mine.push_back(std::move(r));
  });
  notice.finish();
  stopped = any_of(stopped, world);
  for (auto& r : mine) r.first = resumed.origin[r.first];

  const auto parts = gather_bytes(encode_results(mine), world, 0);
  const auto failed = from_root<std::int64_t>(world, [&] {
    ItemResults all = std::move(resumed.before);
    for (const auto& p : parts)
      for (auto& r : decode_results(p)) all.push_back(std::move(r));
    if (stopped) {
      detail::save_partial(OutputLayout(out_dir).cluster_partial(), resumed.fingerprint, resumed.keys, all);
      spdlog::warn("cluster: stopped by a stop signal after {} of {} items (kept in {}); the same command again "
                   "clusters the others", all.size(), items.size(), OutputLayout(out_dir).cluster_partial());
      return std::int64_t{0};
    }
    return write_all(std::move(all), inputs, facts, study, out_dir, items.size());
  });
  return ClusterSummary{static_cast<std::int64_t>(items.size()), failed, stopped};
}

}  // namespace cp
