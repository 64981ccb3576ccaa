#include "clusterprobe/common/text.hpp"

#include <cstdio>

namespace cp {
namespace {

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '\t': out += "\\t"; return;
    case '\r': out += "\\r"; return;
    case '\n': out += "\\n"; return;
    default: break;
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", c);
  out += buf;
}

std::string cut_note(std::size_t left) { return "... (" + std::to_string(left) + " more bytes)"; }

}  // namespace

bool has_control(std::string_view s) {
  for (unsigned char c : s) {
    if (is_control(c)) return true;
  }
  return false;
}

std::string printable(std::string_view s, std::size_t max_line) {
  std::string out;
  std::size_t line = 0;  // bytes of the current line kept so far
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += '\n';
      line = 0;
      continue;
    }
    if (line == max_line) {
      const std::size_t end = s.find('\n', i);
      const std::size_t stop = end == std::string_view::npos ? s.size() : end;
      out += cut_note(stop - i);
      i = stop - 1;  // the loop's ++i lands on the newline (or the end)
      continue;
    }
    if (is_control(c) && c != '\t') append_escaped(out, c);
    else out += static_cast<char>(c);
    ++line;
  }
  return out;
}

std::string quoted_excerpt(std::string_view s, std::size_t max) {
  const std::string_view kept = s.substr(0, max);
  std::string out = "'";
  for (unsigned char c : kept) {
    if (is_control(c)) append_escaped(out, c);
    else out += static_cast<char>(c);
  }
  out += "'";
  if (s.size() > max) out += cut_note(s.size() - max);
  return out;
}

}  // namespace cp
