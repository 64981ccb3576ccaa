#include "clusterprobe/probe/items.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/eta.hpp"
#include "clusterprobe/common/fields.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/common/node_memory.hpp"
#include "clusterprobe/probe/distributed.hpp"
#include "clusterprobe/probe/layer_similarity.hpp"
#include "clusterprobe/probe/probe.hpp"

namespace cp {
namespace {

const std::string kAllLayers = "*";

bool wants_ssc(const ClusterParams& config) { return has(config.methods, Method::ssc); }

// A failure message starts with the file it concerns.
std::string located(const WorkItem& w, std::string message) {
  if (message.rfind(w.path, 0) != 0) message = w.path + ": " + w.where() + ": " + message;
  return message;
}

}  // namespace

bool WorkItem::similarity() const { return key.layer == kAllLayers; }

std::string WorkItem::where() const {
  return similarity() ? "layer similarity" : "/epoch_" + std::to_string(key.epoch) + "/" + key.layer;
}

double WorkItem::cost() const { return static_cast<double>(key.rows) * static_cast<double>(key.dim); }

std::string list_items(const std::vector<ClusterInput>& inputs, bool similarity,
                       RunFileFacts& facts) {
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
      facts.penultimate.push_back({in.run_id, layer});
    if (const std::string stamp = training_stamp(f); !stamp.empty()) facts.sources.push_back({in.run_id, stamp});
    std::int64_t dims = 0;
    for (const auto& k : f.layers()) {
      put(in.run_id, in.path, k);
      dims += k.dim;
    }
    if (similarity) put(in.run_id, in.path, LayerKey{-1, kAllLayers, f.rows(), dims});
  }
  return out;
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

std::int64_t item_memory_limit(const ClusterParams& config, MPI_Comm world) {
  if (config.max_item_memory > 0) return config.max_item_memory;
  const NodePlacement node = node_placement(world);
  const NodeMemory memory = node_memory();
  std::int64_t limit = memory.bytes / std::max(1, node.local_size) / 2;
  // Once per node: on a cluster each node has its own memory and rank count.
  if (node.local_rank == 0)
    spdlog::info("cluster: max_item_memory auto on this node: half of {} ({}) over its {} rank(s) = {}",
                 byte_size_text(static_cast<std::uintmax_t>(memory.bytes)), memory.source, node.local_size,
                 byte_size_text(static_cast<std::uintmax_t>(limit)));
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &limit, 1, MPI_INT64_T, MPI_MIN, world), "cluster: MPI_Allreduce");
  return limit;
}

// A run's similarity item holds all of its layers at once and is counted as
// a probe that keeps its raw rows.
std::int64_t memory_in_one_rank(const WorkItem& item, const std::vector<Measure>& metrics) {
  return in_memory_item_bytes(item.key.rows, item.key.dim, item.similarity() || measures_raw_rows(metrics));
}

ItemDemand demand_of(const WorkItem& item, const std::vector<Measure>& metrics, std::int64_t limit) {
  ItemDemand d;
  d.cost = item.cost();
  d.big = memory_in_one_rank(item, metrics) > limit;
  if (d.big) d.together = distributed_item_bytes(item.key.rows, item.key.dim);
  return d;
}

std::string encode_results(const ItemResults& results) {
  std::string out;
  for (const auto& [index, batch] : results) {
    put_field(out, static_cast<std::int64_t>(index));
    put_field(out, serialize_batch(batch));
  }
  return out;
}

ItemResults decode_results(const std::string& bytes) {
  ItemResults out;
  FieldReader in(bytes);
  while (!in.done()) {
    const auto index = static_cast<std::size_t>(in.integer());
    out.emplace_back(index, deserialize_batch(in.text()));
  }
  return out;
}

ItemResults score_items_together(const std::vector<WorkItem>& items, const std::vector<std::size_t>& chosen,
                                 const ProbeSettings& settings, std::int64_t limit, MPI_Comm comm, bool& stopped) {
  const int rank = comm_rank(comm);
  ItemResults mine;
  for (const std::size_t i : chosen) {
    if (any_of(settings.stop && settings.stop(), comm)) {
      stopped = true;
      break;
    }
    const auto& w = items[i];
    if (rank == 0)
      spdlog::info("cluster: {} {} ({} x {}) across {} ranks: it would take {} in memory, above {} "
                   "(cluster.max_item_memory)", w.run_id, w.where(), w.key.rows, w.key.dim, comm_size(comm),
                   byte_size_text(static_cast<std::uintmax_t>(memory_in_one_rank(w, settings.metrics))),
                   byte_size_text(static_cast<std::uintmax_t>(limit)));
    RecordBatch got;
    try {
      collective(comm, [&] {
        const ActivationFile file(w.path);
        got = w.similarity()
                  ? layer_similarity_distributed(file, w.run_id, settings.cluster, wants_ssc(settings.cluster), comm)
                  : cluster_probe_distributed(file, w.key, w.run_id, settings.cluster, settings.metrics, limit, comm);
      });
    } catch (const std::exception& e) {
      const auto* error = dynamic_cast<const Error*>(&e);
      if (!(error && error->agreed())) throw;
      const std::string message = located(w, message_of(e));
      if (rank == 0) {
        spdlog::error("cluster: {}", message);
        got.failures.push_back({w.run_id, w.key.layer, w.key.epoch, w.path, message});
      }
    }
    if (rank == 0) mine.emplace_back(i, std::move(got));
  }
  return mine;
}

namespace {

// A rank's progress through its share, for its log (rows x columns: the cost
// model of the schedule).
class ShareProgress {
 public:
  ShareProgress(const std::vector<WorkItem>& items, const std::vector<int>& owner, int rank, double every)
      : rank_(rank), all_(items.size()), every_(every) {
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (owner[i] != rank) continue;
      ++share_;
      share_cost_ += items[i].cost();
    }
  }
  void line(bool force) {
    const auto now = Clock::now();
    if (!force && std::chrono::duration<double>(now - last_).count() < every_) return;
    last_ = now;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double eta = live_eta_seconds(done_cost_, secs, share_cost_ - done_cost_, 1);
    spdlog::info("cluster: rank {}: {} of its {} items done ({} in all){}", rank_, done_, share_, all_,
                 eta < 0 ? std::string() : ", ETA " + duration_text(eta));
  }
  void done(const WorkItem& w) {
    ++done_;
    done_cost_ += w.cost();
  }

 private:
  using Clock = std::chrono::steady_clock;
  int rank_;
  std::size_t all_;
  double every_;
  int share_ = 0, done_ = 0;
  double share_cost_ = 0, done_cost_ = 0;
  Clock::time_point start_ = Clock::now(), last_ = start_;
};

}  // namespace

ItemResults score_own_items(const std::vector<WorkItem>& items, const std::vector<int>& owner, int rank,
                            const ProbeSettings& settings, bool& stopped) {
  ItemResults mine;
  std::map<std::string, std::unique_ptr<ActivationFile>> files;
  ShareProgress progress(items, owner, rank, settings.progress_every);
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (owner[i] != rank) continue;
    if (settings.stop && settings.stop()) {
      stopped = true;
      break;
    }
    const auto& w = items[i];
    progress.line(false);
    progress.done(w);
    const auto t0 = std::chrono::steady_clock::now();
    RecordBatch got;
    try {
      auto& file = files[w.path];
      if (!file) file = std::make_unique<ActivationFile>(w.path);
      got = w.similarity() ? layer_similarity(*file, w.run_id, settings.cluster, wants_ssc(settings.cluster))
                           : cluster_probe(*file, w.key, w.run_id, settings.cluster, settings.metrics);
    } catch (const std::exception& e) {
      std::string message = message_of(e);
      if (kind_of(e) == ErrorKind::internal) message = "internal error: " + message;
      message = located(w, message);
      spdlog::error("cluster: {}", message);
      got.failures.push_back({w.run_id, w.key.layer, w.key.epoch, w.path, message});
      mine.emplace_back(i, std::move(got));
      continue;
    }
    mine.emplace_back(i, std::move(got));
    spdlog::debug("clustered {} epoch {} {} ({}x{}) in {:.2f} s", w.run_id, w.key.epoch, w.key.layer,
                  w.key.rows, w.key.dim,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  progress.line(true);
  return mine;
}

}  // namespace cp
