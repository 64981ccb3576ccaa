// GroupWorker: one rank group's claims and trainings (see group_worker.hpp).
#include "group_worker.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/train/module.hpp"
#include "run_status.hpp"

namespace cp::detail {
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

// What each run still costs: a run scored from another's training, its extraction.
std::vector<double> remaining_costs(const std::vector<RunSpec>& runs) {
  std::vector<double> costs;
  for (const auto& r : runs) costs.push_back(r.trained_by == r.id ? r.cost : r.cost - r.training_cost);
  return costs;
}

std::string list_ids(const std::vector<RunSpec>& runs, const std::vector<std::size_t>& members) {
  std::string out;
  for (std::size_t k = 1; k < members.size(); ++k) out += (k > 1 ? ", " : "") + runs[members[k]].id;
  return out;
}

}  // namespace

std::map<std::size_t, std::vector<std::size_t>> trainings(const std::vector<RunSpec>& runs) {
  std::map<std::string, std::size_t> index_of;
  for (std::size_t i = 0; i < runs.size(); ++i) index_of[runs[i].id] = i;
  std::map<std::size_t, std::vector<std::size_t>> members;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    // A plan made elsewhere (tests) may not have been shared: each run trains.
    const auto it = runs[i].trained_by.empty() ? index_of.end() : index_of.find(runs[i].trained_by);
    members[it == index_of.end() ? i : it->second].push_back(i);
  }
  return members;
}

GroupWorker::GroupWorker(const StudyConfig& study, const std::vector<RunSpec>& runs, const RankGroups& groups,
                         RunCounter& counter, const TrainOptions& options, RunClaims* claims, bool cooperating)
    : study_(study), layout_(study.output), runs_(runs), groups_(groups), counter_(counter),
      options_(options), group_(groups.group()), leader_(groups.is_leader()), claims_(claims),
      cooperating_(cooperating), members_(trainings(runs)), progress_(remaining_costs(runs), groups.num_groups()) {
  for (std::size_t i = 0; i < runs.size(); ++i) index_of_[runs[i].id] = i;
  keep_train_ = training_subsamples(runs);
  options_.on_progress = [this](const TrainProgress& p) { on_progress(p); };
}

void GroupWorker::on_progress(const TrainProgress& p) {
  char rate[32];
  std::snprintf(rate, sizeof rate, "%.0f", p.images_per_second);
  spdlog::info("{}", progress_.line(counter_, p.fraction,
                                    "run " + runs_[current].id + " epoch " + std::to_string(p.epoch) + "/" +
                                        std::to_string(p.epochs) + " step " + std::to_string(p.step) + "/" +
                                        std::to_string(p.steps) + ", " + rate + " images/s"));
}

void GroupWorker::record(const Statuses& statuses) {
  if (!leader_) return;
  bool finished = false;
  for (const auto& [i, status] : statuses) {
    counter_.set_state(i, state_of(status.status));
    // A run another job holds is not finished: it comes round again.
    finished = finished || !(cooperating_ && status.status == RunPhase::pending);
  }
  if (!finished) return;
  progress_.finished();
  spdlog::info("{}", progress_.line(counter_, 1.0));
}

void GroupWorker::fail_current() {
  if (!leader_ || current == none) return;
  for (const std::size_t m : members_.at(current)) counter_.set_state(m, RunState::failed);
}

std::int64_t GroupWorker::claim() {
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

Statuses GroupWorker::run(std::size_t i, std::int64_t claim) {
  if (!cooperating_) return run_claimed(i, claim);
  // Array tasks of one submission: the training is also claimed against the other jobs.
  const std::string dir = layout_.run(runs_[i].id).dir();
  // Complete already: skipped without a claim (and checked again under one otherwise).
  const auto complete = from_root<int>(group_, [&] {
    for (const std::size_t m : members_.at(i)) {
      const auto path = layout_.run(runs_[m].id).activations();
      if (!fs::exists(path) || !incomplete_reason(path, runs_[m]).empty()) return 0;
    }
    return 1;
  });
  if (complete) return run_claimed(i, claim);
  std::string detail;
  const auto answer = from_root<int>(group_, [&] {
    const auto a = claims_->acquire(dir, runs_[i].id);
    detail = a.detail;
    return static_cast<int>(a.result);
  });
  if (answer != static_cast<int>(RunClaims::Result::claimed)) return claimed_elsewhere(i, answer, detail);
  const Statuses statuses = run_claimed(i, claim);
  if (leader_) {
    const RunStatus& status = statuses.at(i);
    if (status.status == RunPhase::failed) {
      claims_->fail(dir, status.message);
    } else {
      claims_->release(dir, status.status == RunPhase::complete ? "complete" : "stopped: " + status.message);
    }
  }
  return statuses;
}

// The training is another job's (held: it comes round again) or failed there.
Statuses GroupWorker::claimed_elsewhere(std::size_t i, int answer, const std::string& detail) {
  const bool held = answer == static_cast<int>(RunClaims::Result::held);
  Statuses statuses;
  for (const std::size_t m : members_.at(i)) {
    auto status = base_status(study_, runs_[m]);
    status.status = held ? RunPhase::pending : RunPhase::failed;
    status.message = held ? "in training by another job (" + detail + ")" : "failed in another job: " + detail;
    statuses[m] = status;
  }
  if (leader_ && reported_.insert(runs_[i].id).second) spdlog::info("run {}: {}", runs_[i].id, statuses[i].message);
  return statuses;
}

Statuses GroupWorker::run_claimed(std::size_t i, std::int64_t claim) {
  const RunSpec& run = runs_[i];
  const auto& members = members_.at(i);
  if (leader_) {
    spdlog::info("group {} claimed run {} (claim {} of {}: {}/{}/{}, cost {:.3g}){}", groups_.group_index(), run.id,
                 claim + 1, members_.size(), run.dataset, run.architecture, run.normalization, run.cost,
                 members.size() > 1 ? ", trained once for it and " + list_ids(runs_, members) : std::string());
  }
  Statuses statuses;
  std::vector<std::size_t> todo;  // the runs whose files are not complete
  for (const std::size_t m : members) {
    statuses[m] = base_status(study_, runs_[m]);
    if (!already_complete(runs_[m], statuses[m])) todo.push_back(m);
  }
  if (todo.empty()) return statuses;
  if (leader_)
    for (const std::size_t m : todo) counter_.set_state(m, RunState::running);
  std::string init_checkpoint;
  RunStatus stopped = base_status(study_, run);
  if (!parent_ready(run, stopped, init_checkpoint)) {
    for (const std::size_t m : todo) {
      statuses[m].status = stopped.status;
      statuses[m].message = stopped.message;
    }
    return statuses;
  }
  // Unreadable data stops the stage (an input error), before any training.
  std::vector<SharedAnalysis> analyses;
  collective(group_, [&] {
    for (const std::size_t m : todo)
      analyses.push_back({&runs_[m], &dataset(runs_[m]), layout_.run(runs_[m].id).dir()});
    dataset(run);
  });
  current = i;
  if (leader_) {
    double cost = 0;
    for (const std::size_t m : todo) cost += m == i ? runs_[m].cost : runs_[m].cost - runs_[m].training_cost;
    progress_.started(i, cost);
  }
  trained_ = true;
  train(i, todo, analyses, init_checkpoint, statuses);
  return statuses;
}

// Collective over the group. Whether the run's pretraining run is complete
// (then `init_checkpoint` is its final model); else `status` says why not.
bool GroupWorker::parent_ready(const RunSpec& run, RunStatus& status, std::string& init_checkpoint) {
  if (run.parent_id.empty()) return true;
  const std::size_t p = index_of_.at(run.parent_id);
  // Cooperating: the parent may be another job's, finished on disk only.
  const bool on_disk = cooperating_ && from_root<int>(group_, [&] {
    const auto path = layout_.run(run.parent_id).activations();
    return fs::exists(path) && incomplete_reason(path, runs_[p]).empty() ? 1 : 0;
  });
  const RunState parent =
      on_disk ? RunState::complete : wait_for_parent(counter_, p, run.id, run.parent_id, leader_, group_);
  if (parent == RunState::complete) {
    init_checkpoint = layout_.run(run.parent_id).checkpoint();
    return true;
  }
  // The pretraining run stopped short: so does this run, the same way.
  const bool interrupted = parent == RunState::interrupted;
  status.status = interrupted ? RunPhase::pending : RunPhase::failed;
  status.message = "pretraining run " + run.parent_id + (interrupted ? " is not complete yet" : " failed");
  if (leader_) spdlog::warn("run {}: {}", run.id, status.message);
  return false;
}

// Collective over the group. A complete file is kept (and its accuracies
// reported); one that is not complete is moved aside and the run redone.
bool GroupWorker::already_complete(const RunSpec& run, RunStatus& status) {
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
const Dataset& GroupWorker::dataset(const RunSpec& run) {
  auto it = datasets_.find(run.dataset);
  if (it == datasets_.end()) {
    Dataset ds = load_dataset_for_runs(run.dataset, run.data, keep_train_.at(run.dataset), decoded_);
    it = datasets_.emplace(run.dataset, std::move(ds)).first;
  }
  return it->second;
}

// Collective over the group. Trains run i's network once and stores the
// files of the runs in `todo`. A configuration error stops the stage; any
// other failure (divergence, a full disk, a LibTorch error) fails these runs only.
void GroupWorker::train(std::size_t i, const std::vector<std::size_t>& todo,
                        const std::vector<SharedAnalysis>& analyses, const std::string& init_checkpoint,
                        Statuses& statuses) {
  const RunSpec& run = runs_[i];
  TrainOutcome outcome;
  try {
    collective(group_, [&] {
      outcome = trainer_module().train_run(run, dataset(run), layout_.run(run.id).dir(), group_, options_,
                                           init_checkpoint, analyses);
    });
  } catch (const ConfigError&) {
    throw;
  } catch (const std::exception& e) {
    outcome.ok = false;
    outcome.interrupted = false;
    outcome.message = message_of(e);
    if (leader_) spdlog::error("run {} failed: {}", run.id, outcome.message);
  }
  out_of_time = out_of_time || outcome.out_of_time;
  for (std::size_t k = 0; k < todo.size(); ++k) {
    RunStatus& status = statuses[todo[k]];
    status.status = outcome.ok ? RunPhase::complete : outcome.interrupted ? RunPhase::pending : RunPhase::failed;
    status.message = outcome.message;
    if (outcome.ok) {
      status.coarse_test_accuracy = outcome.analyses.at(k).first;
      status.fine_test_accuracy = outcome.analyses.at(k).second;
    }
  }
}

}  // namespace cp::detail
