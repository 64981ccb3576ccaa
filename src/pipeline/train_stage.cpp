// The train stage: rank groups claim runs, train them, and rank 0 writes the
// study index. Control flow is agreed at every step (comm/agree.hpp): inside a
// group for each claimed run, over the world once the groups stop claiming, and
// for rank 0's tail, so no rank ever waits for one that has failed.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <thread>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/output_lock.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/sched/claim.hpp"
#include "clusterprobe/sched/file_claim.hpp"
#include "clusterprobe/train/module.hpp"
#include "progress.hpp"
#include "run_status.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

RunState state_of(RunPhase phase) {
  if (phase == RunPhase::complete) return RunState::complete;
  if (phase == RunPhase::pending) return RunState::interrupted;
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

// By dataset spec: the train.max_samples that every run of it trains on, or
// 0 where its runs need the whole training split (no limit, different
// limits, or probe rows drawn from it).
std::map<std::string, std::int64_t> training_subsamples(const std::vector<RunSpec>& runs) {
  std::map<std::string, std::int64_t> keep;
  for (const auto& run : runs) {
    const std::int64_t mine = run.extract.split == "train" ? 0 : run.train.max_samples;
    const auto [it, first] = keep.emplace(run.dataset, mine);
    if (!first && it->second != mine) it->second = 0;
  }
  return keep;
}

// What one group does; every step is agreed inside the group.
class GroupWorker {
 public:
  GroupWorker(const StudyConfig& study, const std::vector<RunSpec>& runs, const RankGroups& groups,
              RunCounter& counter, const TrainOptions& options, RunClaims* claims, bool cooperating)
      : study_(study), layout_(study.output), runs_(runs), groups_(groups), counter_(counter), options_(options),
        group_(groups.group()), leader_(groups.is_leader()), claims_(claims), cooperating_(cooperating),
        progress_(runs, groups.num_groups()) {
    for (std::size_t i = 0; i < runs.size(); ++i) index_of_[runs[i].id] = i;
    keep_train_ = training_subsamples(runs);
    options_.on_progress = [this](const TrainProgress& p) {
      char rate[32];
      std::snprintf(rate, sizeof rate, "%.0f", p.images_per_second);
      spdlog::info("{}", progress_.line(counter_, p.fraction,
                                        "run " + runs_[current_].id + " epoch " + std::to_string(p.epoch) + "/" +
                                            std::to_string(p.epochs) + " step " + std::to_string(p.step) + "/" +
                                            std::to_string(p.steps) + ", " + rate + " images/s"));
    };
  }

  // The leader records a run's final state where every group sees it, and logs the study's progress.
  void record(std::size_t i, const RunStatus& status) {
    if (!leader_) return;
    counter_.set_state(i, state_of(status.status));
    // A run another job holds is not finished: it comes round again.
    if (cooperating_ && status.status == RunPhase::pending) return;
    progress_.finished();
    spdlog::info("{}", progress_.line(counter_, 1.0));
  }

  static constexpr std::int64_t kOutOfTime = -2;

  // Collective over the group: the leader's claim (or kOutOfTime), on every
  // rank. A stop signal to any rank of any group stops every group's claims.
  std::int64_t claim() {
    const bool signalled = any_of(stop_requested(), group_);
    return from_root<std::int64_t>(group_, [&] {
      if (signalled) counter_.stop_all();
      // Past the deadline, or a run already stopped by it: claim nothing more.
      // Until this group has trained in this command the deadline does not
      // count: a limit shorter than start-up (loading, the first claims) would
      // otherwise stop every requeue before any work, for ever. The run then
      // stops at its first epoch end past the limit (or at the step where the
      // job's warning signal arrives), checkpointed, so each requeue moves on.
      const bool past = trained_ && wall_seconds() >= options_.deadline;
      const bool stop = out_of_time || signalled || counter_.stopped() || past;
      return stop ? kOutOfTime : counter_.fetch_add();
    });
  }

  // Collective over the group. Trains run i unless its file is complete;
  // returns its status. Throws (agreed in the group) what stops the stage.
  RunStatus run(std::size_t i, std::int64_t claim) {
    if (!cooperating_) return run_claimed(i, claim);
    // Array tasks of one submission: the run is also claimed against the other jobs.
    const RunSpec& run = runs_[i];
    const std::string dir = layout_.run(run.id).dir();
    // Complete already: skipped without a claim (and checked again under one otherwise).
    const auto complete = from_root<int>(group_, [&] {
      const auto path = layout_.run(run.id).activations();
      return fs::exists(path) && incomplete_reason(path, run).empty() ? 1 : 0;
    });
    if (complete) return run_claimed(i, claim);
    std::string detail;
    const auto answer = from_root<int>(group_, [&] {
      const auto a = claims_->acquire(dir, run.id);
      detail = a.detail;
      return static_cast<int>(a.result);
    });
    if (answer != static_cast<int>(RunClaims::Result::claimed)) {
      auto status = base_status(study_, run);
      const bool held = answer == static_cast<int>(RunClaims::Result::held);
      status.status = held ? RunPhase::pending : RunPhase::failed;
      status.message = held ? "in training by another job (" + detail + ")" : "failed in another job: " + detail;
      if (leader_ && reported_.insert(run.id).second) spdlog::info("run {}: {}", run.id, status.message);
      return status;
    }
    const RunStatus status = run_claimed(i, claim);
    if (leader_) {
      if (status.status == RunPhase::failed) {
        claims_->fail(dir, status.message);
      } else {
        claims_->release(dir, status.status == RunPhase::complete ? "complete" : "stopped: " + status.message);
      }
    }
    return status;
  }

  bool out_of_time = false;

 private:
  RunStatus run_claimed(std::size_t i, std::int64_t claim) {
    const RunSpec& run = runs_[i];
    auto status = base_status(study_, run);
    if (leader_) {
      spdlog::info("group {} claimed run {} (claim {} of {}: {}/{}/{}, cost {:.3g})",
                   groups_.group_index(), run.id, claim + 1, runs_.size(), run.dataset,
                   run.architecture, run.normalization, run.cost);
    }
    if (already_complete(run, status)) return status;
    if (leader_) counter_.set_state(i, RunState::running);
    std::string init_checkpoint;
    if (!run.parent_id.empty()) {
      const std::size_t p = index_of_.at(run.parent_id);
      // Cooperating: the parent may be another job's, finished on disk only.
      const bool on_disk = cooperating_ && from_root<int>(group_, [&] {
        const auto path = layout_.run(run.parent_id).activations();
        return fs::exists(path) && incomplete_reason(path, runs_[p]).empty() ? 1 : 0;
      });
      const RunState parent =
          on_disk ? RunState::complete : wait_for_parent(counter_, p, run.id, run.parent_id, leader_, group_);
      if (parent != RunState::complete) {
        // The pretraining run stopped short: so does this run, the same way.
        const bool interrupted = parent == RunState::interrupted;
        status.status = interrupted ? RunPhase::pending : RunPhase::failed;
        status.message = "pretraining run " + run.parent_id + (interrupted ? " is not complete yet" : " failed");
        if (leader_) spdlog::warn("run {}: {}", run.id, status.message);
        return status;
      }
      init_checkpoint = layout_.run(run.parent_id).checkpoint();
    }
    const Dataset* data = nullptr;
    collective(group_, [&] { data = &dataset(run); });  // unreadable data stops the stage
    current_ = i;
    if (leader_) progress_.started(i);
    trained_ = true;
    train(run, *data, init_checkpoint, status);
    return status;
  }

  // Collective over the group. A complete file is kept (and its accuracies
  // reported); one that is not complete is moved aside and the run redone.
  bool already_complete(const RunSpec& run, RunStatus& status) {
    const RunLayout files = layout_.run(run.id);
    const auto path = files.activations();
    const int done = from_root<int>(group_, [&] {
      if (!fs::exists(path)) return 0;
      const std::string why = incomplete_reason(path, run);
      if (why.empty()) {
        const ActivationFile file(path);
        status.coarse_test_accuracy = file.number_attr("coarse_test_accuracy").value_or(std::nan(""));
        status.fine_test_accuracy = file.number_attr("fine_test_accuracy").value_or(std::nan(""));
        spdlog::info("run {} is complete: skipped", run.id);
        return 1;
      }
      // Kept for inspection, out of the way of anything that trusts the final name.
      spdlog::warn("run {}: {} is not complete ({}): moved to {}, training it again",
                   run.id, path, why, files.set_aside_activations());
      fs::rename(path, files.set_aside_activations());
      return 0;
    });
    if (!done) return false;
    status.status = RunPhase::complete;
    return true;
  }

  // Each dataset once per rank, its files decoded once for every spec that
  // reads them, its training split only what its runs train on.
  const Dataset& dataset(const RunSpec& run) {
    auto it = datasets_.find(run.dataset);
    if (it == datasets_.end()) {
      Dataset ds = load_dataset_for_runs(run.dataset, run.data, keep_train_.at(run.dataset), decoded_);
      it = datasets_.emplace(run.dataset, std::move(ds)).first;
    }
    return it->second;
  }

  // Collective over the group. A configuration error stops the stage; any
  // other failure (divergence, a full disk, a LibTorch error) fails this run only.
  void train(const RunSpec& run, const Dataset& data, const std::string& init_checkpoint, RunStatus& status) {
    TrainOutcome outcome;
    try {
      collective(group_, [&] {
        outcome = trainer_module().train_run(run, data, layout_.run(run.id).dir(), group_, options_, init_checkpoint);
      });
    } catch (const ConfigError&) {
      throw;
    } catch (const std::exception& e) {
      outcome.ok = false;
      outcome.interrupted = false;
      outcome.message = message_of(e);
      if (leader_) spdlog::error("run {} failed: {}", run.id, outcome.message);
    }
    status.status = outcome.ok ? RunPhase::complete : outcome.interrupted ? RunPhase::pending : RunPhase::failed;
    status.message = outcome.message;
    out_of_time = out_of_time || outcome.out_of_time;
    if (outcome.ok) {
      status.coarse_test_accuracy = outcome.coarse_test_accuracy;
      status.fine_test_accuracy = outcome.fine_test_accuracy;
    }
  }

  const StudyConfig& study_;
  const OutputLayout layout_;
  const std::vector<RunSpec>& runs_;
  const RankGroups& groups_;
  RunCounter& counter_;
  TrainOptions options_;  ///< the study's, with this group's progress reporting
  MPI_Comm group_;
  bool leader_;
  RunClaims* claims_;  ///< on the leader when cooperating, else null
  bool cooperating_;   ///< array tasks of one submission share the study (--cooperate)
  detail::StudyProgress progress_;
  std::size_t current_ = 0;
  bool trained_ = false;  ///< this group started training a run in this command
  std::map<std::string, std::size_t> index_of_;
  std::map<std::string, Dataset> datasets_;
  DecodedFiles decoded_;
  std::map<std::string, std::int64_t> keep_train_;  ///< by dataset spec (training_subsamples)
  std::set<std::string> reported_;  ///< runs held by other jobs, logged once
};

struct GroupResult {
  std::map<std::size_t, RunStatus> statuses;  ///< on the leader: the runs this group claimed
  std::exception_ptr fatal;                   ///< agreed in the group: what stops the stage
  bool out_of_time = false;                   ///< the deadline stopped this group
};

// Collective over the group. Cooperating jobs: the runs other jobs held are
// tried again, in claim order, until each is complete or failed (here or
// there) or time is up; a lease that expires hands its run to this group.
void sweep(GroupWorker& worker, GroupResult& result, const std::vector<std::size_t>& order,
           const RankGroups& groups, double pause_seconds, std::size_t& current) {
  const MPI_Comm group = groups.group();
  for (;;) {
    std::vector<std::size_t> pending;  // on the leader
    const auto count = from_root<std::int64_t>(group, [&] {
      if (worker.out_of_time || stop_requested()) return std::int64_t{-1};
      for (const std::size_t i : order) {
        const auto it = result.statuses.find(i);
        if (it != result.statuses.end() && it->second.status == RunPhase::pending) pending.push_back(i);
      }
      return static_cast<std::int64_t>(pending.size());
    });
    if (count < 0) worker.out_of_time = true;
    if (count <= 0) return;
    bool progressed = false;
    for (std::int64_t k = 0; k < count; ++k) {
      current = static_cast<std::size_t>(from_root<std::int64_t>(group, [&] {
        return static_cast<std::int64_t>(pending[static_cast<std::size_t>(k)]);
      }));
      const RunStatus status = worker.run(current, k);
      worker.record(current, status);
      if (groups.is_leader()) {
        progressed = progressed || status.status != RunPhase::pending;
        result.statuses[current] = status;
      }
    }
    current = order.size();
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
  std::size_t current = runs.size();
  try {
    for (;;) {
      const std::int64_t claim = worker.claim();
      if (claim == GroupWorker::kOutOfTime) worker.out_of_time = true;
      if (claim == GroupWorker::kOutOfTime || claim >= static_cast<std::int64_t>(runs.size())) break;
      current = order[static_cast<std::size_t>(claim)];
      const RunStatus status = worker.run(current, claim);
      worker.record(current, status);
      if (groups.is_leader()) result.statuses[current] = status;
      current = runs.size();
    }
    if (cooperating) sweep(worker, result, order, groups, std::clamp(study.slurm.lease / 4.0, 1.0, 30.0), current);
  } catch (...) {
    result.fatal = std::current_exception();
    // Nobody may wait for it forever.
    if (groups.is_leader() && current < runs.size()) counter.set_state(current, RunState::failed);
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
  std::vector<double> costs;
  std::vector<bool> is_parent;
  for (const auto& r : runs) {
    costs.push_back(r.cost);
    is_parent.push_back(r.is_pretraining);
  }
  const auto order = cost_order(costs, is_parent);
  TrainOptions options = train_options(study, world);
  RankGroups groups(world, study.parallel.ranks_per_run);
  fall_back_from_shared_gpus(study, groups, options, world);
  collective(world, [&] {
    if (rank != 0) return;
    spdlog::info("train: {} runs on {} ranks: {} group(s) of up to {}, {} torch threads per rank, "
                 "device {}, backend {}",
                 runs.size(), size, groups.num_groups(), std::min(study.parallel.ranks_per_run, size),
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
