#pragma once
// Inputs are checked to be regular files before anything opens them: opening
// a FIFO for reading blocks until a writer comes, and a device such as
// /dev/zero never ends. The error names the file and says what it is.
#include <cstdint>
#include <limits>
#include <string>

#include "clusterprobe/common/error.hpp"

namespace cp {

inline constexpr std::uintmax_t kNoSizeLimit = std::numeric_limits<std::uintmax_t>::max();

/// Local. Throws the error of `kind` unless `path` (symlinks followed) is a
/// regular file of at most `max_bytes`: "<path>: no such <what>",
/// "<path>: is a FIFO (named pipe), not a <what>", ... Returns its size.
std::uintmax_t check_regular_input(const std::string& path, const std::string& what,
                                   ErrorKind kind = ErrorKind::input, std::uintmax_t max_bytes = kNoSizeLimit);

/// Local. The same check for readers that report a missing file their own
/// way: nothing at `path` passes.
void refuse_non_regular(const std::string& path, const std::string& what, ErrorKind kind = ErrorKind::input,
                        std::uintmax_t max_bytes = kNoSizeLimit);

/// Local. The whole content of a regular file of at most `max_bytes`, checked
/// as above (and again on the opened descriptor, so a swap after the check is
/// caught too); read errors are errors of `kind`.
std::string read_regular_input(const std::string& path, const std::string& what,
                               ErrorKind kind = ErrorKind::input, std::uintmax_t max_bytes = kNoSizeLimit);

/// "16 MiB", "1.5 KiB", "12 bytes": a size for messages.
std::string byte_size_text(std::uintmax_t bytes);

}  // namespace cp
