#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/assign.hpp"
#include "clusterprobe/train/trainer.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// Statuses travel to rank 0 as text: unit/record separators never occur in
// ids or names, and are stripped from free-text messages.
constexpr char kField = '\x1f', kRecord = '\x1e';

std::string clean(std::string s) {
  for (auto& ch : s) {
    if (ch == kField || ch == kRecord) ch = ' ';
  }
  return s;
}

std::string encode(const std::map<std::size_t, RunStatus>& statuses) {
  std::ostringstream os;
  os.precision(17);
  for (const auto& [i, s] : statuses) {
    os << i << kField << s.status << kField << clean(s.message) << kField << s.coarse_test_accuracy
       << kRecord;
  }
  return os.str();
}

void decode(const std::string& text, std::vector<RunStatus>& runs) {
  std::istringstream is(text);
  std::string record;
  while (std::getline(is, record, kRecord)) {
    std::istringstream rs(record);
    std::string index, status, message, acc;
    std::getline(rs, index, kField);
    std::getline(rs, status, kField);
    std::getline(rs, message, kField);
    std::getline(rs, acc, kField);
    auto& r = runs.at(std::stoul(index));
    r.status = status;
    r.message = message;
    r.coarse_test_accuracy = std::stod(acc);
  }
}

int threads_per_rank(const StudyConfig& study, MPI_Comm world) {
  if (study.train.threads > 0) return study.train.threads;
  MPI_Comm node;
  check_mpi(MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  const int local = comm_size(node);
  MPI_Comm_free(&node);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / local);
}

RunStatus base_status(const StudyConfig& study, const RunSpec& r) {
  RunStatus s;
  s.id = r.id;
  s.dataset = r.dataset;
  s.architecture = r.architecture;
  s.normalization = r.normalization;
  s.pretraining = r.pretraining;
  s.seed = r.seed;
  s.status = "pending";
  s.file = fs::relative(run_file(study, r.id), study.output).string();
  s.coarse_test_accuracy = std::nan("");
  return s;
}

// Trains this rank's runs; returns their statuses by grid index. User errors
// (a missing dataset) propagate; a run that diverges or throws inside
// training is recorded as failed.
std::map<std::size_t, RunStatus> train_my_runs(const StudyConfig& study, const std::vector<RunSpec>& runs,
                                               const std::vector<int>& owner, int rank, int threads) {
  std::map<std::size_t, RunStatus> mine;
  std::map<std::string, Dataset> datasets;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (owner[i] != rank) continue;
    const auto& run = runs[i];
    auto status = base_status(study, run);
    const auto path = run_file(study, run.id);
    if (fs::exists(path)) {
      ActivationFile done(path);
      status.status = "complete";
      status.coarse_test_accuracy = done.number_attr("coarse_test_accuracy").value_or(std::nan(""));
      spdlog::info("run {} is complete: skipped", run.id);
      mine[i] = status;
      continue;
    }
    auto it = datasets.find(run.dataset);
    if (it == datasets.end()) it = datasets.emplace(run.dataset, load_dataset(run.dataset, run.data)).first;
    try {
      const auto outcome = train_run(run, it->second, run_dir(study, run.id), MPI_COMM_SELF, threads);
      status.status = outcome.ok ? "complete" : "failed";
      status.message = outcome.message;
      status.coarse_test_accuracy = outcome.ok ? outcome.coarse_test_accuracy : std::nan("");
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      status.status = "failed";
      status.message = e.what();
      spdlog::error("run {} failed: {}", run.id, e.what());
    }
    mine[i] = status;
  }
  return mine;
}

}  // namespace

void train_stage(const StudyConfig& study, MPI_Comm world) {
  const int rank = comm_rank(world), size = comm_size(world);
  const auto runs = expand_grid(study);
  std::vector<double> costs;
  for (const auto& r : runs) costs.push_back(r.cost);
  const auto owner = assign_lpt(costs, size);
  const int threads = threads_per_rank(study, world);
  if (rank == 0) {
    spdlog::info("train: {} runs on {} ranks, {} torch threads per rank", runs.size(), size, threads);
    fs::create_directories(study.output);
  }
  MPI_Barrier(world);

  std::string error;
  std::map<std::size_t, RunStatus> mine;
  try {
    mine = train_my_runs(study, runs, owner, rank, threads);
  } catch (const std::exception& e) {
    error = e.what();
  }
  // Agree on failure before the gather, so no rank waits for one that threw.
  const auto first = first_error(error, world);
  if (!first.empty()) throw InputError(first);

  const auto gathered = gather_bytes(encode(mine), world, 0);
  if (rank == 0) {
    std::vector<RunStatus> all;
    for (const auto& r : runs) all.push_back(base_status(study, r));
    for (const auto& part : gathered) decode(part, all);
    write_study_index((fs::path(study.output) / "study.h5").string(), all, study.study,
                      study.resolved_yaml);
    int failed = 0;
    for (const auto& s : all) failed += s.status != "complete";
    spdlog::info("train: {} of {} runs complete, {} failed", all.size() - failed, all.size(), failed);
  }
  MPI_Barrier(world);
}

}  // namespace cp
