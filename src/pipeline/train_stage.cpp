// The train stage: rank groups claim runs, train them, and rank 0 writes the
// study index. Control flow is agreed at every step (comm/agree.hpp): inside a
// group for each claimed run, over the world once the groups stop claiming, and
// for rank 0's tail, so no rank ever waits for one that has failed.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <thread>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/output_lock.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/claim.hpp"
#include "clusterprobe/sched/file_claim.hpp"
#include "clusterprobe/train/module.hpp"
#include "group_worker.hpp"
#include "run_status.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

using detail::GroupWorker;
using detail::Statuses;

struct GroupResult {
  std::map<std::size_t, RunStatus> statuses;  ///< on the leader: the runs this group claimed
  std::exception_ptr fatal;                   ///< agreed in the group: what stops the stage
  bool out_of_time = false;                   ///< the deadline stopped this group
};

// Collective over the group. Cooperating jobs: the runs other jobs held are
// tried again, in claim order, until each is complete or failed (here or
// there) or time is up; a lease that expires hands its run to this group.
void sweep(GroupWorker& worker, GroupResult& result, const std::vector<std::size_t>& order,
           const RankGroups& groups, double pause_seconds) {
  const MPI_Comm group = groups.group();
  for (;;) {
    std::vector<std::size_t> pending;  // on the leader
    const auto count = from_root<std::int64_t>(group, [&] {
      if (worker.out_of_time || stop_requested()) return std::int64_t{-1};
      for (const std::size_t i : order) {
        for (const std::size_t m : worker.members(i)) {
          const auto it = result.statuses.find(m);
          if (it != result.statuses.end() && it->second.status == RunPhase::pending) {
            pending.push_back(i);
            break;
          }
        }
      }
      return static_cast<std::int64_t>(pending.size());
    });
    if (count < 0) worker.out_of_time = true;
    if (count <= 0) return;
    bool progressed = false;
    for (std::int64_t k = 0; k < count; ++k) {
      const auto i = static_cast<std::size_t>(from_root<std::int64_t>(group, [&] {
        return static_cast<std::int64_t>(pending[static_cast<std::size_t>(k)]);
      }));
      worker.current = i;
      const Statuses statuses = worker.run(i, k);
      worker.record(statuses);
      if (groups.is_leader()) {
        for (const auto& [m, status] : statuses) {
          progressed = progressed || status.status != result.statuses[m].status;
          result.statuses[m] = status;
        }
      }
      worker.current = worker.none;
    }
    // Nothing moved: wait for a holder to finish or its lease to expire.
    std::int64_t go = 0;
    if (groups.is_leader() && !progressed) std::this_thread::sleep_for(std::chrono::duration<double>(pause_seconds));
    patient_bcast(go, 0, group);
  }
}

// The group's side of a study: claim, train, record, until the counter runs
// out (and, cooperating, until no run is held by another job).
GroupResult train_group(const StudyConfig& study, const std::vector<RunSpec>& runs,
                        const std::vector<std::size_t>& order, const RankGroups& groups,
                        RunCounter& counter, const TrainOptions& options, RunClaims* claims, bool cooperating) {
  GroupResult result;
  GroupWorker worker(study, runs, groups, counter, options, claims, cooperating);
  try {
    for (;;) {
      const std::int64_t claim = worker.claim();
      if (claim == GroupWorker::kOutOfTime) worker.out_of_time = true;
      if (claim == GroupWorker::kOutOfTime || claim >= static_cast<std::int64_t>(order.size())) break;
      const std::size_t i = order[static_cast<std::size_t>(claim)];
      worker.current = i;
      const Statuses statuses = worker.run(i, claim);
      worker.record(statuses);
      if (groups.is_leader()) result.statuses.insert(statuses.begin(), statuses.end());
      worker.current = worker.none;
    }
    if (cooperating) sweep(worker, result, order, groups, std::clamp(study.slurm.lease / 4.0, 1.0, 30.0));
  } catch (...) {
    result.fatal = std::current_exception();
    worker.fail_current();  // nobody may wait for it forever
  }
  result.out_of_time = worker.out_of_time;
  return result;
}

// Collective over world. Device, backend and deadline, agreed before any group
// forms: a rank without the requested GPU stops everyone with the same error.
TrainOptions train_options(const StudyConfig& study, MPI_Comm world) {
  const NodePlacement node = node_placement(world);
  TrainOptions options;
  options.threads = study.train.threads > 0 ? study.train.threads : std::max(1, node.cores / node.local_size);
  collective(world, [&] { options.plan = trainer_module().plan_execution(study.train, study.parallel, node.local_rank); });
  options.progress_every = study.parallel.progress_every;
  if (study.parallel.max_hours > 0) {
    // Rank 0's clock: every group stops at the same instant.
    options.deadline = from_root<double>(world, [] { return wall_seconds(); }) + study.parallel.max_hours * 3600.0;
  }
  return options;
}

// Collective over world. auto: a group whose ranks share a GPU (more ranks per
// run than GPUs per node) cannot use NCCL, so it all-reduces through host memory.
void fall_back_from_shared_gpus(const StudyConfig& study, const RankGroups& groups, TrainOptions& options,
                                MPI_Comm world) {
  const bool check = study.parallel.backend == "auto" && options.plan.backend == "nccl";
  collective(world, [&] {
    if (!check) return;
    const std::string shared = trainer_module().shared_gpu(groups.group(), options.plan.cuda_index);
    if (shared.empty()) return;
    if (study.train.sync_batchnorm)
      throw ConfigError("train.sync_batchnorm on CUDA needs NCCL, but " + shared +
                        " (or train.sync_batchnorm: false)");
    options.plan.backend = "mpi";
    if (groups.is_leader()) spdlog::warn("train: {}: this group all-reduces through MPI instead", shared);
  });
}

}  // namespace

TrainSummary train_stage(const Plan& plan, MPI_Comm world, const std::string& cooperate) {
  const StudyConfig& study = plan.study;
  const OutputLayout layout(study.output);
  const int rank = comm_rank(world), size = comm_size(world);
  const auto& runs = plan.runs;
  // Trainings are claimed, not runs: a run scored from another's training
  // comes with it. One that another run starts from goes first.
  const auto trainings = detail::trainings(runs);
  std::vector<std::size_t> trainers;
  std::vector<double> costs;
  std::vector<bool> is_parent;
  for (const auto& [i, members] : trainings) {
    trainers.push_back(i);
    costs.push_back(runs[i].cost);
    bool parent = false;
    for (const std::size_t m : members) parent = parent || runs[m].is_pretraining;
    is_parent.push_back(parent);
  }
  std::vector<std::size_t> order;
  for (const std::size_t k : cost_order(costs, is_parent)) order.push_back(trainers[k]);
  TrainOptions options = train_options(study, world);
  RankGroups groups(world, study.parallel.ranks_per_run);
  fall_back_from_shared_gpus(study, groups, options, world);
  collective(world, [&] {
    if (rank != 0) return;
    spdlog::info("train: {} runs on {} ranks, {} trainings: {} group(s) of up to {}, {} torch threads per rank, "
                 "device {}, backend {}",
                 runs.size(), size, order.size(), groups.num_groups(), std::min(study.parallel.ranks_per_run, size),
                 options.threads, options.plan.device, options.plan.backend);
    if (size % std::min(study.parallel.ranks_per_run, size) != 0)
      spdlog::warn("train: {} ranks are not a multiple of parallel.ranks_per_run {}: the last group is smaller",
                   size, study.parallel.ranks_per_run);
    fs::create_directories(study.output);
    // What `status OUTPUT` plans from until study.h5 exists (the first train).
    // Cooperating jobs write it one after another, as they do the index.
    const FileMutex one_writer(layout.index_lock());
    write_file_atomically(layout.study_config(), study.resolved_yaml);
  });

  GroupResult result;
  {
    RunCounter counter(world, runs.size());
    const bool cooperating = !cooperate.empty();
    std::unique_ptr<RunClaims> claims;
    if (cooperating && groups.is_leader()) {
      fs::create_directories(layout.slurm());
      claims = std::make_unique<RunClaims>(cooperate, study.slurm.lease, layout.claims_log());
    }
    result = train_group(study, runs, order, groups, counter, options, claims.get(), cooperating);
  }  // MPI_Win_free: collective, reached by every group once it has stopped claiming
  agree(result.fatal, world);  // before the gather, so no rank waits for one that stopped

  const auto gathered = gather_bytes(encode(result.statuses), world, 0);
  const auto failed = from_root<std::int64_t>(world, [&] {
    std::vector<RunStatus> all;
    for (const auto& r : runs) all.push_back(base_status(study, r));
    for (const auto& part : gathered) decode(part, all);
    // Cooperating jobs write it one after another; each lists every run.
    const FileMutex one_writer(layout.index_lock());
    write_study_index(layout.study_index(), all, study.study, study.resolved_yaml);
    write_runs_csv(layout.runs_csv(), all);
    std::int64_t complete = 0, failures = 0;
    for (const auto& s : all) {
      complete += s.status == RunPhase::complete;
      failures += s.status == RunPhase::failed;
    }
    spdlog::info("train: {} of {} runs complete, {} failed", complete, all.size(), failures);
    return failures;
  });
  TrainSummary summary;
  summary.failed = static_cast<int>(failed);
  const bool signalled = any_of(stop_requested(), world);  // on any rank, not only this one
  summary.out_of_time = any_of(result.out_of_time, world);
  if (rank == 0 && summary.out_of_time) {
    spdlog::warn("train: {} stopped training; the same command again goes on where it stopped",
                 signalled ? std::string("a stop signal (USR1 or TERM)")
                                  : "the wall-time limit (parallel.max_hours " + std::to_string(study.parallel.max_hours) + ")");
  }
  return summary;
}

}  // namespace cp
