#include "progress.hpp"

#include <cstdio>

namespace cp::detail {

std::string duration_text(double seconds) {
  if (seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s < 60) std::snprintf(text, sizeof text, "%lds", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  return text;
}

double eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers) {
  if (done_cost <= 0 || workers <= 0) return -1;
  return remaining_cost * (done_seconds / done_cost) / workers;
}

void StudyProgress::started(std::size_t run) {
  current_ = run;
  running_ = true;
  started_ = Clock::now();
}

void StudyProgress::finished() {
  if (!running_) return;
  done_cost_ += runs_[current_].cost;
  done_seconds_ += std::chrono::duration<double>(Clock::now() - started_).count();
  running_ = false;
}

std::string StudyProgress::line(RunCounter& counter, double fraction, const std::string& detail) const {
  int done = 0, failed = 0, running = 0;
  double remaining = 0;
  for (std::size_t i = 0; i < runs_.size(); ++i) {
    const RunState s = counter.state(i);
    if (s == RunState::complete || s == RunState::failed || s == RunState::interrupted) {
      ++done;
      failed += s == RunState::failed;
    } else if (s == RunState::running) {
      ++running;
      // Only this group knows how far its run is; another's counts as half done.
      remaining += runs_[i].cost * (running_ && i == current_ ? 1.0 - fraction : 0.5);
    } else {
      remaining += runs_[i].cost;
    }
  }
  // Calibrated by this group's finished runs, else by its current run so far.
  double cost = done_cost_, seconds = done_seconds_;
  if (running_) {
    cost += runs_[current_].cost * fraction;
    seconds += std::chrono::duration<double>(Clock::now() - started_).count();
  }
  std::string text = "study: " + std::to_string(done) + " of " + std::to_string(runs_.size()) + " runs done";
  if (failed > 0) text += " (" + std::to_string(failed) + " failed)";
  text += ", " + std::to_string(running) + " running";
  if (!detail.empty()) text += ", " + detail;
  return text + ", ETA " + duration_text(eta_seconds(cost, seconds, remaining, groups_));
}

}  // namespace cp::detail
