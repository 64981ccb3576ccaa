#include "clusterprobe/sched/file_claim.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/host.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  char text[32] = {};
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

// Seconds since the claim was last renewed, or -1 when it is gone.
double age_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  const double mtime = static_cast<double>(st.st_mtim.tv_sec) + 1e-9 * static_cast<double>(st.st_mtim.tv_nsec);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<double>(now.tv_sec) + 1e-9 * static_cast<double>(now.tv_nsec) - mtime;
}

void write_all(int fd, const std::string& text, const std::string& path) {
  if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    throw IoError(path + ": cannot write the claim: " + std::strerror(err));
  }
  ::close(fd);
}

std::string self_name() {
  std::string name = "host=" + host_name() + " pid=" + std::to_string(::getpid());
  const char* array = std::getenv("SLURM_ARRAY_JOB_ID");
  const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
  if (array && task) {
    name += std::string(" job=") + array + "_" + task;
  } else if (const char* job = std::getenv("SLURM_JOB_ID")) {
    name += std::string(" job=") + job;
  }
  return name;
}

}  // namespace

RunClaims::RunClaims(std::string token, double lease_seconds, std::string log_path)
    : token_(std::move(token)), holder_(self_name()), log_path_(std::move(log_path)), lease_(lease_seconds) {
  renewer_ = std::thread([this] { renew_loop(); });
}

RunClaims::~RunClaims() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  renewer_.join();
  for (const auto& [path, run] : held_) {
    ::unlink(path.c_str());
    log("released", run, "stage ended");
  }
}

RunClaims::Answer RunClaims::acquire(const std::string& run_dir, const std::string& run_id) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  const std::string path = RunLayout(run_dir).claim();
  const std::string text = "training " + holder_ + " token=" + token_ + " since=" + utc_now() + "\n";
  bool took_over = false;
  for (int attempt = 0; attempt < 2; ++attempt) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd >= 0) {
      write_all(fd, text, path);
      std::lock_guard<std::mutex> lock(mutex_);
      held_[path] = run_id;
      log(took_over ? "took over" : "claimed", run_id, took_over ? "resumes from its checkpoint" : "");
      return {Result::claimed, {}};
    }
    if (errno != EEXIST) throw IoError(path + ": cannot create the claim: " + std::strerror(errno));
    const std::string existing = read_file_text(path);
    if (existing.rfind("failed ", 0) == 0) return {Result::failed, existing.substr(existing.find('\n') + 1)};
    const double age = age_of(path);
    if (age < 0) continue;  // released meanwhile: claim it
    if (age < lease_ || attempt > 0) return {Result::held, first_line(existing)};
    // Expired. Only one task can move the file away (rename is atomic); the
    // one that did checks that it really was not renewed meanwhile. Host and
    // pid: tasks on two nodes may have the same pid.
    const std::string stale = path + ".expired." + host_name() + "." + std::to_string(::getpid());
    if (::rename(path.c_str(), stale.c_str()) != 0) continue;
    const double stale_age = age_of(stale);
    if (stale_age >= 0 && stale_age < lease_) {
      // Renewed after all: give it back (link fails if another claim appeared).
      ::link(stale.c_str(), path.c_str());
      ::unlink(stale.c_str());
      return {Result::held, first_line(existing)};
    }
    ::unlink(stale.c_str());
    took_over = true;
    log("lease expired", run_id,
        "held by " + first_line(existing) + ", not renewed for " + std::to_string(static_cast<int>(age)) + " s");
  }
  const std::string now_held = first_line(read_file_text(path));
  return {Result::held, now_held};
}

void RunClaims::release(const std::string& run_dir, const std::string& why) {
  const std::string path = RunLayout(run_dir).claim();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = held_.find(path);
  if (it == held_.end()) return;
  ::unlink(path.c_str());
  log("released", it->second, why);
  held_.erase(it);
}

void RunClaims::fail(const std::string& run_dir, const std::string& message) {
  const std::string path = RunLayout(run_dir).claim();
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = held_.find(path);
  if (it == held_.end()) return;
  // Replaced atomically: a reader sees the claim or the failure, never half of it.
  const std::string tmp = path + ".failed.tmp";
  const int fd = create_new_file(tmp);
  if (fd >= 0) {
    write_all(fd, "failed " + holder_ + "\n" + message + "\n", tmp);
    ::rename(tmp.c_str(), path.c_str());
  }
  log("failed", it->second, message);
  held_.erase(it);
}

void RunClaims::renew_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  const auto period = std::chrono::duration<double>(lease_ / 4);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    for (auto it = held_.begin(); it != held_.end();) {
      const std::string existing = read_file_text(it->first);
      if (existing.find(holder_ + " ") == std::string::npos) {
        // Taken over: this process stalled longer than the lease. Two
        // trainers of one run would clash in its files: this one stops.
        spdlog::error("run {}: claim taken over by another job ({}); stopping (raise slurm.lease)", it->second,
                      first_line(existing));
        log("lost", it->second, first_line(existing));
        request_stop();
        it = held_.erase(it);
        continue;
      }
      ::utimensat(AT_FDCWD, it->first.c_str(), nullptr, 0);
      ++it;
    }
  }
}

void RunClaims::log(const std::string& event, const std::string& run_id, const std::string& detail) {
  // O_NOFOLLOW: a symlink planted at the log's name is not appended to.
  const int fd = ::open(log_path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string line = utc_now() + "\t" + holder_ + "\t" + event + "\t" + run_id + "\t" + detail + "\n";
  if (::write(fd, line.data(), line.size()) < 0) {
    // A log line lost on a full disk: the claims themselves say who trains what.
  }
  ::close(fd);
}

}  // namespace cp
