#pragma once
// Text from a user's file on its way to a terminal or a log: a study name, a
// key, a value quoted in an error. Control characters in it could move the
// cursor, recolour or clear the user's terminal, and a whole file quoted back
// buries the message; these make such text harmless and short.
#include <cstddef>
#include <string>
#include <string_view>

namespace cp {

/// Whether `s` holds a C0 control character or DEL (tab included).
bool has_control(std::string_view s);

/// `s` with every control character but newline and tab (harmless to a
/// terminal, and a table's) written as an escape (\r, \x1b...), and each line
/// cut at `max_line` bytes with the size left out said, so that one message
/// line stays readable.
std::string printable(std::string_view s, std::size_t max_line = 2000);

/// `s` in single quotes for a message, control characters escaped (newlines
/// too), cut at `max` bytes with the full size said.
std::string quoted_excerpt(std::string_view s, std::size_t max = 60);

}  // namespace cp
