#pragma once
// What the command prints, made printable (common/text.hpp): names, keys,
// paths and layer names come from the user's files and reach the terminal
// through logs, tables and error lines; an escape sequence in one of them must
// show as text, not act on the terminal. Private to src/cli.

#include <string>

namespace cp::cli {

/// Filters std::cout and std::cerr from here on: every control character but
/// newline and tab is written as an escape. Once, at start-up.
void make_streams_printable();

/// The log's line pattern (spdlog's syntax), its lines filtered the same way.
void set_printable_log_pattern(const std::string& pattern);

}  // namespace cp::cli
