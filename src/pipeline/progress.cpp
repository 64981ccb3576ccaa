#include "progress.hpp"

#include <cstdio>

namespace cp::detail {

void StudyProgress::started(std::size_t run, double cost) {
  current_ = run;
  current_cost_ = cost;
  running_ = true;
  started_ = Clock::now();
}

void StudyProgress::finished() {
  if (!running_) return;
  done_cost_ += current_cost_;
  done_seconds_ += std::chrono::duration<double>(Clock::now() - started_).count();
  running_ = false;
}

std::string StudyProgress::line(RunCounter& counter, double fraction, const std::string& detail) const {
  int done = 0, failed = 0, stopped = 0, running = 0;
  double remaining = 0;
  for (std::size_t i = 0; i < costs_.size(); ++i) {
    const RunState s = counter.state(i);
    if (s == RunState::complete || s == RunState::failed) {
      ++done;
      failed += s == RunState::failed;
    } else if (s == RunState::interrupted) {
      // Stopped resumably: still to do, by the next command.
      ++stopped;
      remaining += costs_[i];
    } else if (s == RunState::running) {
      ++running;
      // Only this group knows how far its run is; another's counts as half done.
      remaining += costs_[i] * (running_ && i == current_ ? 1.0 - fraction : 0.5);
    } else {
      remaining += costs_[i];
    }
  }
  // Calibrated by this group's finished runs, else by its current run so far.
  double cost = done_cost_, seconds = done_seconds_;
  if (running_) {
    cost += current_cost_ * fraction;
    seconds += std::chrono::duration<double>(Clock::now() - started_).count();
  }
  std::string text = "study: " + std::to_string(done) + " of " + std::to_string(costs_.size()) + " runs done";
  if (failed > 0) text += " (" + std::to_string(failed) + " failed)";
  if (stopped > 0) text += ", " + std::to_string(stopped) + " stopped";
  text += ", " + std::to_string(running) + " running";
  if (!detail.empty()) text += ", " + detail;
  const double eta = live_eta_seconds(cost, seconds, remaining, groups_);
  return eta < 0 ? text : text + ", ETA " + duration_text(eta);
}

}  // namespace cp::detail
