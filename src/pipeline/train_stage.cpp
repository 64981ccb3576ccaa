#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <thread>
#include <sstream>

#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/claim.hpp"
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
       << kField << s.fine_test_accuracy << kRecord;
  }
  return os.str();
}

void decode(const std::string& text, std::vector<RunStatus>& runs) {
  std::istringstream is(text);
  std::string record;
  while (std::getline(is, record, kRecord)) {
    std::istringstream rs(record);
    std::string index, status, message, acc, fine_acc;
    std::getline(rs, index, kField);
    std::getline(rs, status, kField);
    std::getline(rs, message, kField);
    std::getline(rs, acc, kField);
    std::getline(rs, fine_acc, kField);
    auto& r = runs.at(std::stoul(index));
    r.status = status;
    r.message = message;
    r.coarse_test_accuracy = std::stod(acc);
    r.fine_test_accuracy = std::stod(fine_acc);
  }
}

RunStatus base_status(const StudyConfig& study, const RunSpec& r) {
  RunStatus s;
  s.id = r.id;
  s.dataset = r.dataset;
  s.architecture = r.architecture;
  s.normalization = r.normalization;
  s.pretraining = r.pretraining;
  s.seed = r.seed;
  s.labels = r.labels;
  s.pretrained_from = r.parent_id;
  s.status = "pending";
  s.file = fs::relative(run_file(study, r.id), study.output).string();
  s.coarse_test_accuracy = std::nan("");
  s.fine_test_accuracy = std::nan("");
  return s;
}

RunState state_of(const std::string& status) {
  if (status == "complete") return RunState::complete;
  if (status == "pending") return RunState::interrupted;
  return RunState::failed;
}

// Collective over the group. The leader waits until the pretraining run
// `parent` is no longer unknown or running; the others wait without spinning.
// Returns the parent's final state on every rank of the group.
RunState wait_for_parent(RunCounter& counter, std::size_t parent, const std::string& run_id,
                         const std::string& parent_id, bool leader, MPI_Comm group) {
  std::int64_t state = 0;
  if (leader) {
    bool logged = false;
    for (;;) {
      const RunState s = counter.state(parent);
      if (s != RunState::unknown && s != RunState::running) {
        state = static_cast<std::int64_t>(s);
        break;
      }
      if (!logged) spdlog::info("run {} waits for its pretraining run {}", run_id, parent_id);
      logged = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  patient_bcast(state, 0, group);
  return static_cast<RunState>(state);
}

// The group's side of a study: claim, train, record, until the counter runs
// out. Every decision that changes control flow is agreed inside the group
// (rank 0's claim and file check are broadcast, errors go through
// first_error), so no group member waits for another that took another path.
// A user error (bad configuration, unreadable dataset) stops this group and
// is returned; a run that fails or diverges is recorded and the group goes on.
struct GroupResult {
  std::map<std::size_t, RunStatus> statuses;  ///< on the leader: the runs this group claimed
  std::string fatal;                          ///< a user error that stops the stage
  bool config_error = false;
  bool out_of_time = false;                   ///< the deadline stopped this group
};

GroupResult train_group(const StudyConfig& study, const std::vector<RunSpec>& runs,
                        const std::vector<std::size_t>& order, const RankGroups& groups,
                        RunCounter& counter, const TrainOptions& options) {
  GroupResult result;
  const MPI_Comm group = groups.group();
  const bool leader = groups.is_leader();
  std::map<std::string, Dataset> datasets;
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < runs.size(); ++i) index_of[runs[i].id] = i;
  for (;;) {
    constexpr std::int64_t kOutOfTime = -2;
    std::int64_t claim = -1;
    std::string error;
    if (leader) {
      try {
        // Past the deadline, or a run already stopped by it: claim nothing more.
        claim = result.out_of_time || wall_seconds() >= options.deadline ? kOutOfTime
                                                                          : counter.fetch_add();
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    if (result.fatal = first_error(error, group); !result.fatal.empty()) break;
    check_mpi(MPI_Bcast(&claim, 1, MPI_INT64_T, 0, group), "train: MPI_Bcast(claim)");
    if (claim == kOutOfTime) {
      result.out_of_time = true;
      break;
    }
    if (claim >= static_cast<std::int64_t>(runs.size())) break;  // nothing left for anyone
    const std::size_t i = order[static_cast<std::size_t>(claim)];
    const RunSpec& run = runs[i];
    auto status = base_status(study, run);
    const auto path = run_file(study, run.id);
    int done = leader && fs::exists(path) ? 1 : 0;
    check_mpi(MPI_Bcast(&done, 1, MPI_INT, 0, group), "train: MPI_Bcast(complete)");
    if (leader) {
      spdlog::info("group {} claimed run {} (claim {} of {}: {}/{}/{}, cost {:.3g})",
                   groups.group_index(), run.id, claim + 1, runs.size(), run.dataset,
                   run.architecture, run.normalization, run.cost);
    }
    if (done) {
      status.status = "complete";
      if (leader) {
        counter.set_state(i, RunState::complete);
        try {
          const ActivationFile file(path);
          status.coarse_test_accuracy = file.number_attr("coarse_test_accuracy").value_or(std::nan(""));
          status.fine_test_accuracy = file.number_attr("fine_test_accuracy").value_or(std::nan(""));
        } catch (const std::exception& e) {
          spdlog::warn("run {}: {}", run.id, e.what());  // the cluster stage will report it
        }
        spdlog::info("run {} is complete: skipped", run.id);
        result.statuses[i] = status;
      }
      continue;
    }
    if (leader) counter.set_state(i, RunState::running);
    std::string init_checkpoint;
    if (!run.parent_id.empty()) {
      const RunState parent = wait_for_parent(counter, index_of.at(run.parent_id), run.id,
                                              run.parent_id, leader, group);
      if (parent != RunState::complete) {
        // The pretraining run stopped short: so does this run, the same way.
        const bool interrupted = parent == RunState::interrupted;
        status.status = interrupted ? "pending" : "failed";
        status.message = "pretraining run " + run.parent_id +
                         (interrupted ? " is not complete yet" : " failed");
        if (leader) {
          counter.set_state(i, interrupted ? RunState::interrupted : RunState::failed);
          spdlog::warn("run {}: {}", run.id, status.message);
          result.statuses[i] = status;
        }
        continue;
      }
      init_checkpoint = (fs::path(run_dir(study, run.parent_id)) / "checkpoint.pt").string();
    }
    auto it = datasets.find(run.dataset);
    try {
      if (it == datasets.end()) it = datasets.emplace(run.dataset, load_dataset(run.dataset, run.data)).first;
    } catch (const std::exception& e) {
      error = e.what();
      result.config_error = dynamic_cast<const ConfigError*>(&e) != nullptr;
    }
    std::string failed;
    if (error.empty()) {
      try {
        const auto outcome =
            train_run(run, it->second, run_dir(study, run.id), group, options, init_checkpoint);
        status.status = outcome.ok ? "complete" : outcome.interrupted ? "pending" : "failed";
        result.out_of_time = result.out_of_time || outcome.out_of_time;
        status.message = outcome.message;
        status.coarse_test_accuracy = outcome.ok ? outcome.coarse_test_accuracy : std::nan("");
        status.fine_test_accuracy = outcome.ok ? outcome.fine_test_accuracy : std::nan("");
      } catch (const ConfigError& e) {
        error = e.what();
        result.config_error = true;
      } catch (const std::exception& e) {
        failed = e.what();
      }
    }
    result.config_error = any_of(result.config_error, group);
    if (result.fatal = first_error(error, group); !result.fatal.empty()) {
      if (leader) counter.set_state(i, RunState::failed);  // nobody may wait for it forever
      break;
    }
    if (failed = first_error(failed, group); !failed.empty()) {
      status.status = "failed";
      status.message = failed;
      status.coarse_test_accuracy = std::nan("");
      status.fine_test_accuracy = std::nan("");
      if (leader) spdlog::error("run {} failed: {}", run.id, failed);
    }
    if (leader) {
      counter.set_state(i, state_of(status.status));
      result.statuses[i] = status;
    }
  }
  return result;
}

}  // namespace

TrainSummary train_stage(const StudyConfig& study, MPI_Comm world) {
  const int rank = comm_rank(world), size = comm_size(world);
  const auto runs = expand_grid(study);
  std::vector<double> costs;
  std::vector<bool> is_parent;
  for (const auto& r : runs) {
    costs.push_back(r.cost);
    is_parent.push_back(r.is_pretraining);
  }
  const auto order = cost_order(costs, is_parent);
  const NodePlacement node = node_placement(world);

  // Device and backend are the study's, agreed before any group forms: a rank
  // without the requested GPU stops everyone with the same ConfigError.
  TrainOptions options;
  options.threads = study.train.threads > 0 ? study.train.threads
                                            : std::max(1, node.cores / node.local_size);
  std::string error;
  try {
    options.plan = plan_execution(study.train, study.parallel, node.local_rank);
  } catch (const std::exception& e) {
    error = e.what();
  }
  if (auto first = first_error(error, world); !first.empty()) throw ConfigError(first);
  if (study.parallel.max_hours > 0) {
    // Rank 0's clock: every group stops at the same instant.
    double start = wall_seconds();
    check_mpi(MPI_Bcast(&start, 1, MPI_DOUBLE, 0, world), "train: MPI_Bcast(start)");
    options.deadline = start + study.parallel.max_hours * 3600.0;
  }

  RankGroups groups(world, study.parallel.ranks_per_run);
  // auto: a group whose ranks share a GPU (more ranks per run than GPUs per
  // node) cannot use NCCL, so it stages its all-reduces through host memory.
  if (study.parallel.backend == "auto" && options.plan.backend == "nccl") {
    const std::string shared = shared_gpu(groups.group(), options.plan.cuda_index);
    if (!shared.empty()) {
      options.plan.backend = "mpi";
      error = study.train.sync_batchnorm
                  ? "train.sync_batchnorm on CUDA needs NCCL, but " + shared + " (or train.sync_batchnorm: false)"
                  : "";
      if (groups.is_leader() && error.empty()) {
        spdlog::warn("train: {}: this group all-reduces through MPI instead", shared);
      }
    }
  }
  if (auto first = first_error(error, world); !first.empty()) throw ConfigError(first);
  if (rank == 0) {
    spdlog::info("train: {} runs on {} ranks: {} group(s) of up to {}, {} torch threads per rank, "
                 "device {}, backend {}",
                 runs.size(), size, groups.num_groups(), std::min(study.parallel.ranks_per_run, size),
                 options.threads, options.plan.device, options.plan.backend);
    if (size % std::min(study.parallel.ranks_per_run, size) != 0)
      spdlog::warn("train: {} ranks are not a multiple of parallel.ranks_per_run {}: the last group is smaller",
                   size, study.parallel.ranks_per_run);
    fs::create_directories(study.output);
  }
  MPI_Barrier(world);

  GroupResult result;
  {
    RunCounter counter(world, runs.size());
    result = train_group(study, runs, order, groups, counter, options);
  }  // MPI_Win_free: collective, reached by every group once it has stopped claiming
  // Agree on failure before the gather, so no rank waits for one that stopped.
  const bool config_error = any_of(result.config_error, world);
  if (auto first = first_error(result.fatal, world); !first.empty()) {
    if (config_error) throw ConfigError(first);
    throw InputError(first);
  }

  const auto gathered = gather_bytes(encode(result.statuses), world, 0);
  if (rank == 0) {
    std::vector<RunStatus> all;
    for (const auto& r : runs) all.push_back(base_status(study, r));
    for (const auto& part : gathered) decode(part, all);
    write_study_index((fs::path(study.output) / "study.h5").string(), all, study.study,
                      study.resolved_yaml);
    int failed = 0, complete = 0;
    for (const auto& s : all) {
      complete += s.status == "complete";
      failed += s.status == "failed";
    }
    spdlog::info("train: {} of {} runs complete, {} failed", complete, all.size(), failed);
  }
  TrainSummary summary;
  summary.out_of_time = any_of(result.out_of_time, world);
  if (rank == 0 && summary.out_of_time) {
    spdlog::warn("train: the wall-time limit (parallel.max_hours {}) stopped training; the same "
                 "command again goes on where it stopped", study.parallel.max_hours);
  }
  return summary;
}

}  // namespace cp
