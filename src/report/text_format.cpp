#include "text_format.hpp"

#include <cstdio>

namespace cp::detail {

std::string formatted(double v, const char* format) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

std::string gnuplot_quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

std::string p_value_text(double p) { return p < 0.001 ? "p < 0.001" : "p = " + formatted(p, "%.3g"); }

}  // namespace cp::detail
