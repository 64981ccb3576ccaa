#pragma once
// The cluster stage's work: one item per stored matrix (run, epoch, layer)
// and, when cka is measured, one per run comparing its layers; what an item
// needs in memory; and scoring a rank's or a group's share of the items (one
// item's scores: probe.hpp, distributed.hpp, layer_similarity.hpp). Who
// scores which item: sched/item_schedule.hpp.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/metrics/record.hpp"
#include "clusterprobe/sched/item_schedule.hpp"

namespace cp {

/// One activations file to cluster, and the run id it belongs to.
struct ClusterInput {
  std::string run_id;
  std::string path;
};

/// A probe item clusters one stored matrix; a similarity item (layer "*")
/// compares all layers of one run (its dim is their sum).
struct WorkItem {
  std::string run_id, path;
  LayerKey key;
  bool similarity() const;
  /// "layer similarity" or "/epoch_<e>/<layer>", for messages.
  std::string where() const;
  /// rows x columns: the cost model of the schedule.
  double cost() const;
};

/// What items are scored with.
struct ProbeSettings {
  const ClusterParams& cluster;           ///< the study's cluster: section
  const std::vector<Measure>& metrics;  ///< the study's metrics:
  double progress_every = 60;             ///< seconds between a rank's progress lines
  /// Local. Asked before each item: true when this rank is to start no more
  /// (a stop signal to any rank); empty: never. The items not started are
  /// left out of the result, to be scored by the next command.
  std::function<bool()> stop;
};

/// The records of each item scored (or recorded as failed), by its index in
/// the item list: what a stopped stage keeps so that a rerun does not redo it.
using ItemResults = std::vector<std::pair<std::size_t, RecordBatch>>;

/// Local. ItemResults as bytes (for a gather or a file), and back.
std::string encode_results(const ItemResults& results);
ItemResults decode_results(const std::string& bytes);

/// What each run's file says of itself, for metrics.h5: its penultimate probe
/// point and the training that wrote it.
struct RunFileFacts {
  std::vector<PenultimateRecord> penultimate;
  std::vector<SourceRecord> sources;
};

/// Local. Opens every input once and lists its items (with a similarity item
/// per run when `similarity`) as length-prefixed fields, so any layer name
/// survives a broadcast; what each file says of itself goes to `facts`.
std::string list_items(const std::vector<ClusterInput>& inputs, bool similarity, RunFileFacts& facts);

/// Local. The items of list_items()'s text.
std::vector<WorkItem> parse_items(const std::string& bytes);

/// Collective over world. cluster.max_item_memory, or half of this node's
/// memory over the ranks on it (the same on every rank: the smallest).
std::int64_t item_memory_limit(const ClusterParams& config, MPI_Comm world);

/// Local. What scoring `item` would take on one rank.
std::int64_t memory_in_one_rank(const WorkItem& item, const std::vector<Measure>& metrics);

/// Local. What the schedule needs of `item` when one rank may hold `limit` bytes.
ItemDemand demand_of(const WorkItem& item, const std::vector<Measure>& metrics, std::int64_t limit);

/// Local. Scores the items whose owner is `rank`, reading each file once. An
/// item that cannot be scored (NaN/Inf, too few rows, an unreadable matrix)
/// is recorded as a failure naming file, layer and epoch; the others go on.
/// Stops before the next item when settings.stop() says so (`stopped` set).
ItemResults score_own_items(const std::vector<WorkItem>& items, const std::vector<int>& owner, int rank,
                            const ProbeSettings& settings, bool& stopped);

/// Collective over comm: the items `chosen` one after another, all of comm's
/// ranks on each, each rank holding its block of rows. A failed item is
/// recorded (by comm's rank 0) like any other; an error that was not agreed
/// is rethrown (the caller aborts the world). Comm's ranks agree before each
/// item whether any of them is to stop (`stopped` set on all of them).
/// Results on comm's rank 0.
ItemResults score_items_together(const std::vector<WorkItem>& items, const std::vector<std::size_t>& chosen,
                                 const ProbeSettings& settings, std::int64_t limit, MPI_Comm comm, bool& stopped);

}  // namespace cp
