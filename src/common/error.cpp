#include "clusterprobe/common/error.hpp"

#include <cstring>
#include <filesystem>
#include <new>

namespace cp {

ErrorKind kind_of(const std::exception& e) {
  if (const auto* err = dynamic_cast<const Error*>(&e)) return err->kind();
  if (dynamic_cast<const std::filesystem::filesystem_error*>(&e)) return ErrorKind::io;
  return ErrorKind::internal;
}

std::string message_of(const std::exception& e) {
  if (dynamic_cast<const std::bad_alloc*>(&e)) return std::string("out of memory (") + e.what() + ")";
  return e.what();
}

ErrorKind current_kind(std::string& message) {
  try {
    throw;
  } catch (const std::exception& e) {
    message = message_of(e);
    return kind_of(e);
  } catch (...) {
    message = "unknown exception";
    return ErrorKind::internal;
  }
}

void throw_error(ErrorKind kind, const std::string& message) {
  switch (kind) {
    case ErrorKind::config: throw ConfigError(message);
    case ErrorKind::input: throw InputError(message);
    case ErrorKind::io: throw IoError(message);
    case ErrorKind::internal: break;
  }
  throw InternalError(message);
}

void throw_agreed(ErrorKind kind, const std::string& message) {
  // Built by hand per kind: the flag is private so that no other code can
  // claim an agreement that did not happen.
  switch (kind) {
    case ErrorKind::config: {
      ConfigError e(message);
      e.agreed_ = true;
      throw e;
    }
    case ErrorKind::input: {
      InputError e(message);
      e.agreed_ = true;
      throw e;
    }
    case ErrorKind::io: {
      IoError e(message);
      e.agreed_ = true;
      throw e;
    }
    case ErrorKind::internal: break;
  }
  InternalError e(message);
  e.agreed_ = true;
  throw e;
}

namespace detail {

std::string where(const char* file, int line) {
  // Keep only the path below src/ or include/: absolute build paths are noise.
  const char* tail = std::strstr(file, "src/");
  if (!tail) tail = std::strstr(file, "include/");
  return std::string(tail ? tail : file) + ":" + std::to_string(line) + ": ";
}

}  // namespace detail
}  // namespace cp
