#include "clusterprobe/io/output_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/host.hpp"
#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/study_index.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// "host=... pid=..." -> the value of `key`, or empty.
std::string field(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
  }
  return {};
}

std::string describe_holder(const std::string& text) {
  if (text.empty()) return "another process (the lock file is empty)";
  return "clusterprobe " + text;
}

// A holder on this host whose process is gone: its lock is stale.
bool stale(const std::string& text) {
  if (field(text, "host") != host_name()) return false;
  const long pid = std::atol(field(text, "pid").c_str());
  return pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

void write_holder(int fd, const std::string& path) {
  const std::string text = OutputLock::holder_text() + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    throw IoError(path + ": cannot write the lock file: " + std::strerror(errno));
}

// Opens the lock file without following a symlink planted at its name (the
// open would create or truncate the link's target).
int open_lock_file(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0 && errno == ELOOP)
    throw IoError(path + ": is a symbolic link; refusing to use it as a lock file (remove it if it is not yours)");
  if (fd < 0) throw IoError(path + ": cannot open the lock file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw IoError(path + ": is not a regular file; refusing to use it as a lock file");
  }
  return fd;
}

[[noreturn]] void refuse_other_study(const std::string& output_dir, const std::string& recorded,
                                     const std::string& where, const std::string& study_name) {
  throw ConfigError(output_dir + ": holds the outputs of study '" + recorded + "' (" + where + "), not of study '" +
                    study_name + "': choose another output directory");
}

// Whether the directory holds anything but the lock files this command made.
bool holds_other_files(const OutputLayout& layout) {
  const auto ours = layout.control_files();
  std::error_code ec;
  for (fs::directory_iterator it(layout.root(), ec), end; !ec && it != end; it.increment(ec)) {
    if (std::find(ours.begin(), ours.end(), it->path().string()) == ours.end()) return true;
  }
  return false;
}

// The marker and study.h5 both name the study: deleting the marker does not
// hand the directory to another study, and a directory that is neither empty
// nor a study's (the user's own files) is never adopted.
void check_study(const std::string& output_dir, const std::string& study_name) {
  const OutputLayout layout(output_dir);
  const std::string path = layout.study_marker(), index = layout.study_index();
  const std::string indexed = fs::exists(index) ? read_study_name(index) : std::string();
  if (!indexed.empty() && indexed != study_name) refuse_other_study(output_dir, indexed, index, study_name);
  if (fs::exists(path)) {
    std::string recorded = read_file_text(path);
    while (!recorded.empty() && (recorded.back() == '\n' || recorded.back() == '\r')) recorded.pop_back();
    if (recorded != study_name) refuse_other_study(output_dir, recorded, path, study_name);
    return;
  }
  if (indexed.empty() && holds_other_files(layout))
    throw ConfigError(output_dir + ": is not empty and not a ClusterProbe output directory (it has no " + path +
                      "): choose an empty or new output directory, or remove its files first");
  write_file_atomically(path, study_name + "\n");
}

}  // namespace

std::string OutputLock::holder_text() {
  std::ostringstream os;
  const std::time_t now = std::time(nullptr);
  char when[32] = {};
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  os << "host=" << host_name() << " pid=" << ::getpid() << " start=" << when;
  if (const char* job = std::getenv("SLURM_JOB_ID")) os << " slurm_job=" << job;
  return os.str();
}

OutputLock::OutputLock(const std::string& output_dir, const std::string& study_name, const std::string& cooperate)
    : path_(OutputLayout(output_dir).lock()) {
  std::error_code ec;
  fs::create_directories(output_dir, ec);
  if (ec) throw IoError(output_dir + ": cannot create the output directory: " + ec.message());
  fd_ = open_lock_file(path_, O_RDWR | O_CREAT);
  std::unique_ptr<FileMutex> one_at_a_time;
  if (!cooperate.empty()) {
    // Every sharer passes here one at a time, so the first of a submission
    // has recorded its token, and marked the directory as its study's,
    // before any other looks.
    one_at_a_time = std::make_unique<FileMutex>(OutputLayout(output_dir).cooperate_lock());
    share(output_dir, cooperate);
  } else if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
    // The kernel's lock is what counts; the holder's name is for messages
    // only, so a full disk (which the stages will report) does not stop here.
    try {
      write_holder(fd_, path_);
    } catch (const IoError&) {
    }
  } else if (errno == EWOULDBLOCK) {
    const std::string holder = read_file_text(path_);
    ::close(fd_);
    fd_ = -1;
    throw IoError(output_dir + ": in use by " + describe_holder(holder) +
                  "; one writer per output directory: wait for it, or choose another output");
  } else {
    // No flock on this file system: the lock file itself is the lock.
    ::close(fd_);
    fd_ = -1;
    exclusive_file_ = true;
    const std::string existing = read_file_text(path_);
    if (!existing.empty() && !stale(existing))
      throw IoError(output_dir + ": in use by " + describe_holder(existing) +
                    " (no flock on this file system: if that process is gone, remove " + path_ + ")");
    fs::remove(path_, ec);
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd_ < 0)
      throw IoError(path_ + ": another writer took the lock first: " + std::strerror(errno));
    write_holder(fd_, path_);
  }
  try {
    check_study(output_dir, study_name);
  } catch (...) {
    release();
    throw;
  }
}

void OutputLock::share(const std::string& output_dir, const std::string& token) {
  const auto refuse = [&](const std::string& holder) {
    ::close(fd_);
    fd_ = -1;
    throw IoError(output_dir + ": in use by " + holder + "; one writer per output directory (or the array tasks of one submission)");
  };
  const OutputLayout layout(output_dir);
  const std::string record = layout.cooperate();
  // `status` probes the lock for a moment: a few tries before giving up.
  for (int attempt = 0; attempt < 20; ++attempt) {
    if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) {
      // Alone: this submission takes the output.
      write_file_atomically(record, token + "\n" + holder_text() + "\n");
      try {
        write_holder(fd_, path_);
      } catch (const IoError&) {
      }
      ::flock(fd_, LOCK_SH);
      shared_ = true;
      return;
    }
    if (errno != EWOULDBLOCK)
      throw IoError(output_dir + ": array tasks need flock on the output's file system: " + std::strerror(errno));
    if (::flock(fd_, LOCK_SH | LOCK_NB) == 0) {
      // Shared already, by the submission that recorded its token.
      const std::string recorded = read_file_text(record);
      if (recorded.substr(0, recorded.find('\n')) != token)
        refuse("the array tasks of another submission (" +
               describe_holder(recorded.substr(recorded.find('\n') + 1)) + ")");
      shared_ = true;
      return;
    }
    ::usleep(100000);
  }
  refuse(describe_holder(read_file_text(path_)));
}

std::string OutputLock::holder(const OutputLayout& layout) {
  const std::string path = layout.lock();
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return {};
  std::string holder;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    holder = read_file_text(path);
    holder = holder.substr(0, holder.find('\n'));
    if (holder.empty()) holder = "a process (no details in the lock file)";
  } else {
    ::flock(fd, LOCK_UN);
  }
  ::close(fd);
  return holder;
}

OutputLock::~OutputLock() { release(); }

void OutputLock::release() noexcept {
  if (fd_ < 0) return;
  // Truncated, not removed: with flock, removing would let a waiter lock an orphaned inode.
  // Shared: the other array tasks still hold it, under the name written.
  if (exclusive_file_) {
    ::unlink(path_.c_str());
  } else if (!shared_ && ::ftruncate(fd_, 0) != 0) {
    // Nothing to do: the kernel releases the lock with the descriptor anyway.
  }
  ::close(fd_);
  fd_ = -1;
}

FileMutex::FileMutex(const std::string& path) {
  fd_ = open_lock_file(path, O_RDWR | O_CREAT);
  while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

FileMutex::~FileMutex() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace cp
