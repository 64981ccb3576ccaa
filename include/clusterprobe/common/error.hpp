#pragma once
// One error hierarchy for the whole project. User-facing errors (bad study
// file, corrupt data) carry a message that already names the file, line and
// key; internal errors carry the source location of the throw.
//
// Every kind has one documented exit code (README, "Exit codes"), the same on
// every rank: ranks agree on a failure through comm/agree.hpp, which rethrows
// the same kind everywhere and marks the error as agreed.
#include <exception>
#include <stdexcept>
#include <string>

namespace cp {

/// The kinds of failure; the value is the process exit code.
enum class ErrorKind : int { internal = 1, config = 2, input = 3, io = 4 };

/// Exit codes that are not error kinds.
inline constexpr int kExitIncomplete = 5;   ///< finished, but some runs or clustering items failed
inline constexpr int kExitOutOfTime = 75;   ///< EX_TEMPFAIL: the wall-time limit stopped it; rerun to go on

/// Throws the cp::Error subclass of `kind` carrying `message`, marked as
/// agreed: only comm/agree.cpp throws these.
[[noreturn]] void throw_agreed(ErrorKind kind, const std::string& message);

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual ErrorKind kind() const { return ErrorKind::internal; }
  /// Process exit code the CLI uses for this kind of error.
  int exit_code() const { return static_cast<int>(kind()); }
  /// Whether every rank of the communicator it was agreed over throws it too.
  bool agreed() const { return agreed_; }

 private:
  friend void throw_agreed(ErrorKind kind, const std::string& message);
  bool agreed_ = false;
};

/// The study file, a command-line override or the command line is invalid. Exit code 2.
class ConfigError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::config; }
};

/// An input file (dataset, hierarchy, activations) is missing, truncated or corrupt.
class InputError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::input; }
};

/// An HDF5, MPI or file-system operation failed.
class IoError : public Error {
 public:
  using Error::Error;
  ErrorKind kind() const override { return ErrorKind::io; }
};

/// A broken internal invariant: a bug, never the user's fault.
class InternalError : public Error {
 public:
  using Error::Error;
};

/// The kind of any exception: cp::Error says its own; a file-system error is
/// I/O; anything else (std::bad_alloc included) is internal.
ErrorKind kind_of(const std::exception& e);
/// The text to show for any exception (a bad_alloc says it ran out of memory).
std::string message_of(const std::exception& e);
/// Kind and message of the exception in flight; for `catch (...)` blocks.
ErrorKind current_kind(std::string& message);

/// Throws the cp::Error subclass of `kind` carrying `message`.
[[noreturn]] void throw_error(ErrorKind kind, const std::string& message);

namespace detail {
std::string where(const char* file, int line);
}  // namespace detail

}  // namespace cp

/// Throws InternalError (a bug: exit 1) with the message prefixed by the
/// throwing source location.
#define CP_THROW_INTERNAL(msg) \
  throw ::cp::InternalError(::cp::detail::where(__FILE__, __LINE__) + (msg))

#define CP_ASSERT(cond, msg)                  \
  do {                                        \
    if (!(cond)) CP_THROW_INTERNAL(std::string("assertion '" #cond "' failed: ") + (msg)); \
  } while (0)
