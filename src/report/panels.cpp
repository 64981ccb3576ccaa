#include "panels.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "clusterprobe/report/resampling.hpp"
#include "text_format.hpp"

namespace cp::detail {
namespace {

constexpr int kBandResamples = 1000;  // a band to see, not a test: 1000 resamples hold its edges to ~0.5% of width

std::string num(double v) { return std::isnan(v) ? "?" : formatted(v, "%.6g"); }

// Axis -> its levels in first-seen order, for axes with two or more.
std::vector<std::pair<std::string, std::vector<std::string>>> varied_axes(const std::vector<RunCurve>& curves) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  for (const auto& c : curves)
    for (const auto& [axis, level] : c.axes) {
      auto it = std::find_if(out.begin(), out.end(), [&](const auto& a) { return a.first == axis; });
      if (it == out.end()) it = out.insert(out.end(), {axis, {}});
      if (std::find(it->second.begin(), it->second.end(), level) == it->second.end()) it->second.push_back(level);
    }
  out.erase(std::remove_if(out.begin(), out.end(), [](const auto& a) { return a.second.size() < 2; }), out.end());
  return out;
}

// One level's block: x, mean, band low, band high, epoch-0 mean. False when empty.
bool level_block(const PanelSpec& spec, const std::vector<const RunCurve*>& members, std::string& data) {
  bool any = false;
  std::string block;
  for (std::size_t i = 0; i < spec.xs.size(); ++i) {
    std::vector<double> now, start;
    for (const auto* c : members) {
      if (!std::isnan(c->last[i])) now.push_back(c->last[i]);
      if (!std::isnan(c->start[i])) start.push_back(c->start[i]);
    }
    const Interval band = bootstrap_mean(now, kBandResamples);
    const double start_mean =
        start.empty() ? std::nan("") : std::accumulate(start.begin(), start.end(), 0.0) / static_cast<double>(start.size());
    any = any || !now.empty();
    block += num(spec.xs[i]) + " " + (now.empty() ? "? ? ?" : num(band.mean) + " " + num(band.low) + " " +
                                                                  num(band.high)) +
             " " + num(start_mean) + "\n";
  }
  if (any) data += block + "\n\n";
  return any;
}

}  // namespace

std::vector<double> interpolate(const std::vector<std::pair<double, double>>& points, const std::vector<double>& xs) {
  std::vector<double> out(xs.size(), std::nan(""));
  if (points.empty()) return out;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const double x = xs[i];
    if (x < points.front().first - 1e-12 || x > points.back().first + 1e-12) continue;
    auto hi = std::lower_bound(points.begin(), points.end(), x - 1e-12,
                               [](const auto& p, double v) { return p.first < v; });
    if (hi == points.end()) hi = points.end() - 1;
    if (std::abs(hi->first - x) < 1e-12 || hi == points.begin()) {
      out[i] = hi->second;
      continue;
    }
    const auto lo = hi - 1;
    const double t = (x - lo->first) / (hi->first - lo->first);
    out[i] = lo->second + t * (hi->second - lo->second);
  }
  return out;
}

Figure axis_panels(const PanelSpec& spec, const std::vector<RunCurve>& curves) {
  auto axes = varied_axes(curves);
  // No axis varies (one configuration, several seeds): one panel of all runs.
  if (axes.empty()) axes.push_back({"all runs", {"all"}});
  std::string data, panels;
  int block = 0;
  for (const auto& [axis, all_levels] : axes) {
    const std::size_t shown = std::min(all_levels.size(), kMaxPanelLevels);
    std::string plot;
    for (std::size_t l = 0; l < shown; ++l) {
      std::vector<const RunCurve*> members;
      for (const auto& c : curves) {
        const auto it = c.axes.find(axis);
        if (axis == "all runs" || (it != c.axes.end() && it->second == all_levels[l])) members.push_back(&c);
      }
      if (!level_block(spec, members, data)) continue;
      const std::string at = gnuplot_quoted(spec.name + ".dat") + " index " + std::to_string(block++);
      const std::string colour = " lc " + std::to_string(l % 8 + 1);
      plot += std::string(plot.empty() ? "plot " : ", \\\n     ") + at + " using 1:3:4 with filledcurves" + colour +
              " fs transparent solid 0.15 noborder notitle, \\\n     " + at + " using 1:2 with linespoints" + colour +
              " pt 7 ps 0.6 title " + gnuplot_quoted(all_levels[l] + " (" + std::to_string(members.size()) + ")") +
              ", \\\n     " + at + " using 1:5 with lines" + colour + " dt 2 notitle";
    }
    if (plot.empty()) continue;
    const std::string more = shown < all_levels.size()
                                 ? " (first " + std::to_string(shown) + " of " + std::to_string(all_levels.size()) + ")"
                                 : "";
    panels += "set title " + gnuplot_quoted(axis + more) + " noenhanced\n" + plot + "\n";
  }
  if (panels.empty()) return {};
  const std::size_t n = axes.size(), cols = std::min<std::size_t>(n, 3), rows = (n + cols - 1) / cols;
  const std::string script =
      "# ClusterProbe figure: edit freely, then `gnuplot " + spec.name + ".gp` redraws " + spec.name + ".svg.tmp\n" +
      "set terminal svg size " + std::to_string(360 * cols + 40) + "," + std::to_string(300 * rows + 60) +
      " dynamic background rgb \"white\" font \"sans,10\"\n" + "set output " + gnuplot_quoted(spec.name + ".svg.tmp") + "\n" +
      "set datafile missing \"?\"\nset grid\nset key top left noenhanced font \",9\"\n" +
      "set xlabel " + gnuplot_quoted(spec.xlabel) + " noenhanced\nset ylabel " + gnuplot_quoted(spec.ylabel) + " noenhanced\n" +
      "set multiplot layout " + std::to_string(rows) + "," + std::to_string(cols) + " title " + gnuplot_quoted(spec.title) +
      " noenhanced\n" + panels + "unset multiplot\n";
  return {spec.name, spec.title, spec.reading, data, script};
}

}  // namespace cp::detail
