#include "pivot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "text_format.hpp"

namespace cp::detail {
namespace {

std::string num(double v, const char* format = "%.4f") { return formatted(v, format); }

std::vector<std::string> levels_of(const std::vector<RunOutcome>& runs, const std::string& axis) {
  std::vector<std::string> out;
  for (const auto& r : runs) {
    const auto it = r.axes.find(axis);
    if (it != r.axes.end() && std::find(out.begin(), out.end(), it->second) == out.end()) out.push_back(it->second);
  }
  return out;
}

struct Cell {
  double sum = 0;
  int n = 0;
  double mean() const { return n ? sum / n : std::nan(""); }
};

Figure heatmap(const std::string& a, const std::string& b, const std::vector<std::string>& rows,
               const std::vector<std::string>& cols, const std::map<std::pair<int, int>, Cell>& cells,
               const std::string& label) {
  std::vector<Cell> row_cells(rows.size()), col_cells(cols.size());
  Cell all;
  for (const auto& [rc, c] : cells) {
    row_cells[static_cast<std::size_t>(rc.first)].sum += c.sum, row_cells[static_cast<std::size_t>(rc.first)].n += c.n;
    col_cells[static_cast<std::size_t>(rc.second)].sum += c.sum, col_cells[static_cast<std::size_t>(rc.second)].n += c.n;
    all.sum += c.sum, all.n += c.n;
  }
  std::string data = "x";
  for (const auto& c : cols) data += " " + gnuplot_quoted(c);
  data += "\n";
  double largest = 0;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    data += gnuplot_quoted(rows[r]);
    for (std::size_t c = 0; c < cols.size(); ++c) {
      const auto it = cells.find({static_cast<int>(r), static_cast<int>(c)});
      if (it == cells.end()) {
        data += " ?";
        continue;
      }
      const double v = it->second.mean() - row_cells[r].mean() - col_cells[c].mean() + all.mean();
      largest = std::max(largest, std::abs(v));
      data += " " + num(v, "%.6g");
    }
    data += "\n";
  }
  std::string name = "interaction_" + a + "_" + b;
  const std::string title = label + ": " + a + " x " + b + ", departure from additive effects";
  const std::string range = num(std::max(largest, 1e-6), "%.3g");
  const std::string script =
      "# ClusterProbe figure: edit freely, then `gnuplot " + name + ".gp` redraws " + name + ".svg.tmp\n" +
      "set terminal svg size 560,420 dynamic background rgb \"white\" font \"sans,10\"\n" +
      "set output " + gnuplot_quoted(name + ".svg.tmp") + "\nset title " + gnuplot_quoted(title) + " noenhanced\n" +
      "set xlabel " + gnuplot_quoted(b) + " noenhanced\nset ylabel " + gnuplot_quoted(a) + " noenhanced\n" +
      "set key off\nset datafile missing \"?\"\nset cbrange [-" + range + ":" + range + "]\n" +
      "set palette defined (-1 \"#b2182b\", 0 \"white\", 1 \"#2166ac\")\n"
      "set xtics rotate by 30 right noenhanced\nset ytics noenhanced\nunset grid\n"
      "plot " + gnuplot_quoted(name + ".dat") + " matrix rowheaders columnheaders using 1:2:3 with image pixels\n";
  const std::string reading = "Each cell: its mean minus the " + a + " level's mean minus the " + b +
                              " level's mean plus the grand mean; near 0 everywhere, the two axes act "
                              "independently; the largest departure is " + num(largest, "%.3g") + ".";
  return {name, title, reading, data, script};
}

}  // namespace

std::vector<Pivot> pivots(const std::vector<RunOutcome>& runs, const std::vector<std::string>& axes,
                          const std::string& label) {
  std::vector<RunOutcome> valid;
  for (const auto& r : runs)
    if (!std::isnan(r.value)) valid.push_back(r);
  std::vector<std::string> varied;
  for (const auto& a : axes)
    if (levels_of(valid, a).size() >= 2) varied.push_back(a);
  std::vector<Pivot> out;
  for (std::size_t i = 0; i < varied.size(); ++i)
    for (std::size_t j = i + 1; j < varied.size() && out.size() < kMaxPivotPairs; ++j) {
      const std::string &a = varied[i], &b = varied[j];
      const auto rows = levels_of(valid, a), cols = levels_of(valid, b);
      std::map<std::pair<int, int>, Cell> cells;
      for (const auto& r : valid) {
        const auto ra = std::find(rows.begin(), rows.end(), r.axes.at(a)) - rows.begin();
        const auto cb = std::find(cols.begin(), cols.end(), r.axes.at(b)) - cols.begin();
        Cell& c = cells[{static_cast<int>(ra), static_cast<int>(cb)}];
        c.sum += r.value;
        ++c.n;
      }
      std::vector<std::string> header{a + " \\ " + b};
      header.insert(header.end(), cols.begin(), cols.end());
      Table t(header);
      for (std::size_t r = 0; r < rows.size(); ++r) {
        std::vector<std::string> row{rows[r]};
        for (std::size_t c = 0; c < cols.size(); ++c) {
          const auto it = cells.find({static_cast<int>(r), static_cast<int>(c)});
          row.push_back(it == cells.end() ? "-" : num(it->second.mean()) + " (" + std::to_string(it->second.n) + ")");
        }
        t.add_row(row);
      }
      out.push_back({a, b, std::move(t), heatmap(a, b, rows, cols, cells, label)});
    }
  return out;
}

}  // namespace cp::detail
