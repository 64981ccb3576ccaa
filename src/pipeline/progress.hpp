#pragma once
// Progress lines for batch-job logs (plain lines, no carriage returns): how
// far a study is and when it should end, from the plan's cost model
// calibrated by the seconds measured so far. Private to src/pipeline.
#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/eta.hpp"
#include "clusterprobe/sched/claim.hpp"

namespace cp::detail {

/// The study as one group's leader sees it (the run states are shared).
class StudyProgress {
 public:
  /// `costs`: the work each run of the plan still needs (a run scored from
  /// another run's training: its extraction only).
  StudyProgress(std::vector<double> costs, int groups) : costs_(std::move(costs)), groups_(groups) {}
  /// `run` and the runs trained with it, together `cost`.
  void started(std::size_t run, double cost);
  void finished();
  /// "study: 3 of 8 runs done (1 failed), 2 running, ETA 4m10s"; `fraction`:
  /// how much of the current run is done, `detail` is appended before the ETA.
  std::string line(RunCounter& counter, double fraction, const std::string& detail = "") const;

 private:
  using Clock = std::chrono::steady_clock;
  std::vector<double> costs_;
  int groups_;
  std::size_t current_ = 0;
  double current_cost_ = 0;
  bool running_ = false;
  Clock::time_point started_;
  double done_cost_ = 0, done_seconds_ = 0;  ///< runs this group finished
};

}  // namespace cp::detail
