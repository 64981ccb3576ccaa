#pragma once
// Small text formats the report's parts share: numbers as printf writes
// them, gnuplot string literals, p-values. Private to src/report.
#include <string>

namespace cp::detail {

/// `v` as printf's `format` writes it ("%.2f" in sentences, "%.6g" in figure data).
std::string formatted(double v, const char* format);

/// A gnuplot string literal: "..." with backslashes and quotes escaped, a
/// newline as a space (a title or tic label stays on its line).
std::string gnuplot_quoted(const std::string& s);

/// "p = 0.023", or "p < 0.001".
std::string p_value_text(double p);

}  // namespace cp::detail
