#pragma once
// What one rank group does in the train stage: claim a training, train it
// once for every run that shares it (plan/run_spec.hpp: trained_by), record
// the runs' states. Every step is agreed inside the group (comm/agree.hpp).
// Private to src/pipeline.
#include <mpi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/sched/claim.hpp"
#include "clusterprobe/sched/file_claim.hpp"
#include "clusterprobe/train/trainer.hpp"
#include "progress.hpp"

namespace cp::detail {

/// The runs of each training, by the index of the run that trains it (itself
/// first, then the runs scored from it, in plan order).
std::map<std::size_t, std::vector<std::size_t>> trainings(const std::vector<RunSpec>& runs);

/// Statuses by run index.
using Statuses = std::map<std::size_t, RunStatus>;

class GroupWorker {
 public:
  GroupWorker(const StudyConfig& study, const std::vector<RunSpec>& runs, const RankGroups& groups,
              RunCounter& counter, const TrainOptions& options, RunClaims* claims, bool cooperating);

  static constexpr std::int64_t kOutOfTime = -2;

  /// Collective over the group: the leader's claim (or kOutOfTime), on every
  /// rank. A stop signal to any rank of any group stops every group's claims.
  std::int64_t claim();

  /// Collective over the group. Trains the training of run `i` (a run that
  /// trains: trained_by is its own id) unless every file of it is complete;
  /// returns the status of each of its runs. Throws (agreed in the group)
  /// what stops the stage.
  Statuses run(std::size_t i, std::int64_t claim);

  /// The leader records the runs' final states where every group sees them
  /// and logs the study's progress.
  void record(const Statuses& statuses);

  /// The runs of run i's training (i first).
  const std::vector<std::size_t>& members(std::size_t i) const { return members_.at(i); }
  /// On the leader: the runs of the current training failed (a fatal error
  /// left it), so no group waits for them.
  void fail_current();

  /// The run whose training the group is in (`none`: none).
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::size_t current = none;
  bool out_of_time = false;

 private:
  Statuses run_claimed(std::size_t i, std::int64_t claim);
  Statuses claimed_elsewhere(std::size_t i, int answer, const std::string& detail);
  bool already_complete(const RunSpec& run, RunStatus& status);
  bool parent_ready(const RunSpec& run, RunStatus& status, std::string& init_checkpoint);
  const Dataset& dataset(const RunSpec& run);
  void train(std::size_t i, const std::vector<std::size_t>& todo, const std::vector<SharedAnalysis>& analyses,
             const std::string& init_checkpoint, Statuses& statuses);
  void on_progress(const TrainProgress& p);

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
  std::map<std::size_t, std::vector<std::size_t>> members_;  ///< trainings()
  StudyProgress progress_;
  bool trained_ = false;  ///< this group started training in this command
  std::map<std::string, std::size_t> index_of_;
  std::map<std::string, Dataset> datasets_;
  DecodedFiles decoded_;
  std::map<std::string, std::int64_t> keep_train_;  ///< by dataset spec (training_subsamples)
  std::set<std::string> reported_;  ///< runs held by other jobs, logged once
};

}  // namespace cp::detail
