#include "clusterprobe/io/atomic_file.hpp"

#include <fstream>
#include <sstream>

#include <fcntl.h>
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

void write_file_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = temporary_path(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(tmp, path, "open", errno);
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
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail(tmp, path, "rename", errno);
}

std::string read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace cp
