#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <sstream>

#include "clusterprobe/cluster/layer_similarity.hpp"
#include "clusterprobe/cluster/probe.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/metrics_store.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/assign.hpp"

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

// Rank 0 lists the work (it opens every file once); the list travels as text
// lines, tab-separated: run_id, path, epoch, layer, rows, dim.
std::string list_items(const std::vector<ClusterInput>& inputs, bool similarity) {
  std::ostringstream os;
  for (const auto& in : inputs) {
    ActivationFile f(in.path);
    std::int64_t dims = 0;
    for (const auto& k : f.layers()) {
      os << in.run_id << '\t' << in.path << '\t' << k.epoch << '\t' << k.layer << '\t' << k.rows
         << '\t' << k.dim << '\n';
      dims += k.dim;
    }
    if (similarity) {
      os << in.run_id << '\t' << in.path << "\t-1\t" << kAllLayers << '\t' << f.rows() << '\t' << dims << '\n';
    }
  }
  return os.str();
}

std::vector<WorkItem> parse_items(const std::string& text) {
  std::vector<WorkItem> items;
  std::istringstream is(text);
  std::string line;
  while (std::getline(is, line)) {
    std::istringstream ls(line);
    WorkItem w;
    std::string epoch, rows, dim;
    std::getline(ls, w.run_id, '\t');
    std::getline(ls, w.path, '\t');
    std::getline(ls, epoch, '\t');
    std::getline(ls, w.key.layer, '\t');
    std::getline(ls, rows, '\t');
    std::getline(ls, dim, '\t');
    w.key.epoch = std::stoi(epoch);
    w.key.rows = std::stoll(rows);
    w.key.dim = std::stoll(dim);
    items.push_back(std::move(w));
  }
  return items;
}

RecordBatch run_items(const std::vector<WorkItem>& items, const std::vector<int>& owner, int rank,
                      const StudyConfig& study) {
  RecordBatch mine;
  std::map<std::string, std::unique_ptr<ActivationFile>> files;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (owner[i] != rank) continue;
    const auto& w = items[i];
    auto& file = files[w.path];
    if (!file) file = std::make_unique<ActivationFile>(w.path);
    const auto t0 = std::chrono::steady_clock::now();
    if (w.similarity()) {
      const auto& methods = study.cluster.methods;
      const bool ssc = std::find(methods.begin(), methods.end(), "ssc") != methods.end();
      mine.append(layer_similarity(*file, w.run_id, study.cluster, ssc));
    } else {
      mine.append(cluster_probe(*file, w.key, w.run_id, study.cluster, study.metrics));
    }
    spdlog::debug("clustered {} epoch {} {} ({}x{}) in {:.2f} s", w.run_id, w.key.epoch, w.key.layer,
                  w.key.rows, w.key.dim,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return mine;
}

}  // namespace

void cluster_stage(const std::vector<ClusterInput>& inputs, const StudyConfig& study,
                   const std::string& out_dir, MPI_Comm world) {
  const int rank = comm_rank(world), size = comm_size(world);
  std::string listing, error;
  if (rank == 0) {
    try {
      const auto& m = study.metrics;
      listing = list_items(inputs, std::find(m.begin(), m.end(), "cka") != m.end());
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  if (auto first = first_error(error, world); !first.empty()) throw InputError(first);
  const auto items = parse_items(broadcast_bytes(listing, world, 0));
  std::vector<double> costs;
  for (const auto& w : items) costs.push_back(static_cast<double>(w.key.rows) * static_cast<double>(w.key.dim));
  const auto owner = assign_lpt(costs, size);
  if (rank == 0) spdlog::info("cluster: {} items from {} files on {} ranks", items.size(), inputs.size(), size);

  RecordBatch mine;
  try {
    mine = run_items(items, owner, rank, study);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (auto first = first_error(error, world); !first.empty()) throw InputError(first);

  const auto parts = gather_bytes(serialize_batch(mine), world, 0);
  if (rank == 0) {
    RecordBatch all;
    for (const auto& p : parts) all.append(deserialize_batch(p));
    auto key = [](const auto& r) { return std::tie(r.run_id, r.epoch, r.layer, r.scope); };
    std::stable_sort(all.metrics.begin(), all.metrics.end(),
                     [&](const MetricRecord& a, const MetricRecord& b) { return key(a) < key(b); });
    std::stable_sort(all.assignments.begin(), all.assignments.end(),
                     [&](const AssignmentRecord& a, const AssignmentRecord& b) { return key(a) < key(b); });
    std::filesystem::create_directories(out_dir);
    write_metrics(out_dir, all, study.resolved_yaml);
    spdlog::info("cluster: {} metric values written to {}/metrics.h5 and metrics.csv", all.metrics.size(),
                 out_dir);
  }
  MPI_Barrier(world);
}

}  // namespace cp
