#include "clusterprobe/report/table.hpp"

#include "clusterprobe/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace cp {

std::string fixed(double value, int digits) {
  if (std::isnan(value)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

bool Table::drop_blank_column(const std::string& name) {
  const auto it = std::find(header_.begin(), header_.end(), name);
  if (it == header_.end()) return false;
  const auto c = static_cast<std::size_t>(it - header_.begin());
  for (const auto& r : rows_)
    if (c < r.size() && r[c] != "-") return false;
  header_.erase(it);
  for (auto& r : rows_)
    if (c < r.size()) r.erase(r.begin() + static_cast<std::ptrdiff_t>(c));
  return true;
}

std::string Table::text() const {
  std::vector<std::size_t> width(header_.size(), 0);
  auto widen = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) width[i] = std::max(width[i], row[i].size());
  };
  widen(header_);
  for (const auto& r : rows_) widen(r);
  // Numbers right-aligned, names left-aligned, as a reader scans them.
  std::vector<bool> numeric(width.size(), true);
  for (const auto& r : rows_) {
    for (std::size_t i = 0; i < r.size() && i < numeric.size(); ++i) {
      numeric[i] = numeric[i] && r[i].find_first_not_of("0123456789.-+e") == std::string::npos;
    }
  }
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      const std::string pad(width[i] - cell.size(), ' ');
      os << (i ? "  " : "") << (numeric[i] ? pad + cell : cell + pad);
    }
    os << '\n';
  };
  line(header_);
  std::size_t total = 0;
  for (auto w : width) total += w + 2;
  os << std::string(total - 2, '-') << '\n';
  for (const auto& r : rows_) line(r);
  return os.str();
}

std::string Table::markdown() const {
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& row) {
    os << '|';
    for (std::size_t i = 0; i < header_.size(); ++i) os << ' ' << (i < row.size() ? row[i] : "") << " |";
    os << '\n';
  };
  line(header_);
  os << '|';
  for (std::size_t i = 0; i < header_.size(); ++i) os << (i == 0 ? " --- |" : " ---: |");
  os << '\n';
  for (const auto& r : rows_) line(r);
  return os.str();
}

void Table::order_rows(std::size_t column, int (*rank)(const std::string&)) {
  std::stable_sort(rows_.begin(), rows_.end(), [&](const auto& a, const auto& b) {
    return rank(column < a.size() ? a[column] : "") < rank(column < b.size() ? b[column] : "");
  });
}

std::string Table::html(const std::string& attributes) const {
  std::string out = "<table" + (attributes.empty() ? "" : " " + attributes) + ">\n<thead><tr>";
  for (const auto& h : header_) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const auto& r : rows_) {
    out += "<tr>";
    for (std::size_t i = 0; i < header_.size(); ++i) out += "<td>" + html_escape(i < r.size() ? r[i] : "") + "</td>";
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

}  // namespace cp
