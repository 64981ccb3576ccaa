#include "clusterprobe/io/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

[[noreturn]] void fail(const std::string& tmp, const std::string& path, const char* what, int err) {
  ::unlink(tmp.c_str());
  throw IoError(path + ": cannot write (" + what + " " + tmp + "): " + std::strerror(err));
}

}  // namespace

std::string temporary_path(const std::string& path) { return path + ".tmp"; }

int create_new_file(const std::string& path) {
  // A stale file, or a symlink somebody planted, is removed (unlink removes a
  // link, never its target); O_EXCL then refuses whatever appeared since.
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return -1;
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

namespace {

// Writes `bytes` to temporary_path(path) and fsyncs it; returns that name.
std::string write_temporary(const std::string& path, const std::string& bytes) {
  const std::string tmp = temporary_path(path);
  const int fd = create_new_file(tmp);
  if (fd < 0) {
    const int err = errno;
    // Not fail(): the name may be somebody else's now.
    throw IoError(path + ": cannot write (create " + tmp + "): " + std::strerror(err));
  }
  for (std::size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      fail(tmp, path, "write", err);
    }
    done += static_cast<std::size_t>(n);
  }
  // A full or failing disk may only say so at fsync or close (NFS, Lustre).
  if (::fsync(fd) != 0 && errno != EINVAL) {
    const int err = errno;
    ::close(fd);
    fail(tmp, path, "fsync", err);
  }
  if (::close(fd) != 0) fail(tmp, path, "close", errno);
  return tmp;
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = write_temporary(path, bytes);
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(tmp, path, "rename", errno);
}

void ReplaceTogether::stage(const std::string& path, const std::string& bytes) {
  staged_.push_back({write_temporary(path, bytes), path});
}

void ReplaceTogether::stage_written(const std::string& written, const std::string& path) {
  staged_.push_back({written, path});
}

void ReplaceTogether::commit() {
  std::string replaced;
  for (std::size_t i = 0; i < staged_.size(); ++i) {
    const auto& [from, to] = staged_[i];
    if (::rename(from.c_str(), to.c_str()) == 0) {
      replaced += (replaced.empty() ? "" : ", ") + to;
      continue;
    }
    const int err = errno;
    std::string old;
    for (std::size_t j = i; j < staged_.size(); ++j) old += (old.empty() ? "" : ", ") + staged_[j].second;
    throw IoError(to + ": cannot replace it (rename " + from + "): " + std::strerror(err) + "; new: " +
                  (replaced.empty() ? "none" : replaced) + "; left as they were (stale): " + old);
  }
  staged_.clear();
}

ReplaceTogether::~ReplaceTogether() {
  for (const auto& s : staged_) ::unlink(s.first.c_str());
}

std::string read_file_text(const std::string& path) {
  // O_NONBLOCK and the check: a FIFO or a device planted at the name reads as "".
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return {};
  struct stat st {};
  std::string text;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buffer[4096];
    for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return text;
}

}  // namespace cp
