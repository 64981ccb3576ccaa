#pragma once
// Progress lines for batch-job logs (plain lines, no carriage returns): how
// far a study is and when it should end, from the plan's cost model
// calibrated by the seconds measured so far. Private to src/pipeline.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "clusterprobe/common/eta.hpp"
#include "clusterprobe/plan/run_spec.hpp"
#include "clusterprobe/sched/claim.hpp"

namespace cp::detail {

/// The study as one group's leader sees it (the run states are shared).
class StudyProgress {
 public:
  StudyProgress(const std::vector<RunSpec>& runs, int groups) : runs_(runs), groups_(groups) {}
  void started(std::size_t run);
  void finished();
  /// "study: 3 of 8 runs done (1 failed), 2 running, ETA 4m10s"; `fraction`:
  /// how much of the current run is done, `detail` is appended before the ETA.
  std::string line(RunCounter& counter, double fraction, const std::string& detail = "") const;

 private:
  using Clock = std::chrono::steady_clock;
  const std::vector<RunSpec>& runs_;
  int groups_;
  std::size_t current_ = 0;
  bool running_ = false;
  Clock::time_point started_;
  double done_cost_ = 0, done_seconds_ = 0;  ///< runs this group finished
};

}  // namespace cp::detail
