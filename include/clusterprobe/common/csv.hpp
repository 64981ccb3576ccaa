#pragma once
// CSV for pandas: one quoting rule for every table the tool writes.
#include <string>

namespace cp {

/// `s` as one CSV field: quoted (quotes doubled) when it holds a comma, a
/// quote or a line break, as is otherwise.
inline std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace cp
