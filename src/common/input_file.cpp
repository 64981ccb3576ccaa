#include "clusterprobe/common/input_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace cp {
namespace {

const char* kind_of_file(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO (named pipe)";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::uintmax_t check_stat(const struct stat& st, const std::string& path, const std::string& what, ErrorKind kind,
                          std::uintmax_t max_bytes) {
  if (!S_ISREG(st.st_mode))
    throw_error(kind, path + ": is " + kind_of_file(st.st_mode) + ", but the " + what + " must be a regular file");
  const auto size = static_cast<std::uintmax_t>(st.st_size);
  if (size > max_bytes)
    throw_error(kind, path + ": " + byte_size_text(size) + ", more than the " + byte_size_text(max_bytes) +
                          " allowed for the " + what);
  return size;
}

}  // namespace

std::string byte_size_text(std::uintmax_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char text[32];
  if (u == 0) std::snprintf(text, sizeof text, "%ju bytes", bytes);
  else std::snprintf(text, sizeof text, v == static_cast<double>(static_cast<std::uintmax_t>(v)) ? "%.0f %s" : "%.1f %s", v, units[u]);
  return text;
}

std::uintmax_t check_regular_input(const std::string& path, const std::string& what, ErrorKind kind,
                                   std::uintmax_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT || errno == ENOTDIR) throw_error(kind, path + ": no such " + what);
    throw_error(kind, path + ": cannot read the " + what + ": " + std::strerror(errno));
  }
  return check_stat(st, path, what, kind, max_bytes);
}

void refuse_non_regular(const std::string& path, const std::string& what, ErrorKind kind, std::uintmax_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) check_stat(st, path, what, kind, max_bytes);
}

std::string read_regular_input(const std::string& path, const std::string& what, ErrorKind kind,
                               std::uintmax_t max_bytes) {
  check_regular_input(path, what, kind, max_bytes);
  // O_NONBLOCK: a FIFO put there since the check does not block the open.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw_error(kind, path + ": cannot open the " + what + ": " + std::strerror(errno));
  std::string text;
  try {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_error(kind, path + ": cannot read the " + what + ": " + std::strerror(errno));
    text.resize(static_cast<std::size_t>(check_stat(st, path, what, kind, max_bytes)));
    std::size_t got = 0;
    // Reads what the size said; a file that grew meanwhile is cut there, within the limit.
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_error(kind, path + ": cannot read the " + what + ": " + std::strerror(errno));
      if (n == 0) break;
      got += static_cast<std::size_t>(n);
    }
    text.resize(got);
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return text;
}

}  // namespace cp
