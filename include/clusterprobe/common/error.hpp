#pragma once
// One error hierarchy for the whole project. User-facing errors (bad study
// file, corrupt data) carry a message that already names the file, line and
// key; internal errors carry the source location of the throw.
#include <stdexcept>
#include <string>

namespace cp {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  /// Process exit code the CLI uses for this kind of error.
  virtual int exit_code() const { return 1; }
};

/// The study file or a command-line override is invalid. Exit code 2.
class ConfigError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 2; }
};

/// An input file (dataset, hierarchy, activations) is missing, truncated or corrupt.
class InputError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 3; }
};

/// An HDF5, MPI or file-system operation failed.
class IoError : public Error {
 public:
  using Error::Error;
  int exit_code() const override { return 4; }
};

/// A broken internal invariant: a bug, never the user's fault.
class InternalError : public Error {
 public:
  using Error::Error;
};

namespace detail {
std::string where(const char* file, int line);
}  // namespace detail

}  // namespace cp

/// Throws `Type` with the message prefixed by the throwing source location.
#define CP_THROW_INTERNAL(msg) \
  throw ::cp::InternalError(::cp::detail::where(__FILE__, __LINE__) + (msg))

#define CP_ASSERT(cond, msg)                  \
  do {                                        \
    if (!(cond)) CP_THROW_INTERNAL(std::string("assertion '" #cond "' failed: ") + (msg)); \
  } while (0)
