// Figures of the report as gnuplot data and scripts (see charts.hpp).
#include "charts.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>
#include <map>
#include <set>

#include "text_format.hpp"

namespace cp::detail {
namespace {

std::string num(double v) { return formatted(v, "%.6g"); }

std::string preamble(const std::string& name, const std::string& title, const std::string& xlabel,
                     const std::string& ylabel, const std::string& size = "760,440") {
  return "# ClusterProbe figure: edit freely, then `gnuplot " + name + ".gp` redraws " + name + ".svg.tmp\n" +
         "set terminal svg size " + size + " dynamic background rgb \"white\" font \"sans,11\"\n" +
         "set output " + gnuplot_quoted(name + ".svg.tmp") + "\n" + "set title " + gnuplot_quoted(title) + " noenhanced\n" +
         "set key outside right top noenhanced\nset grid\n" + "set xlabel " + gnuplot_quoted(xlabel) + " noenhanced\n" +
         "set ylabel " + gnuplot_quoted(ylabel) + " noenhanced\n";
}

// Several line series in one figure: each a data block, solid or dashed.
class Lines {
 public:
  void add(const std::string& title, const std::vector<std::pair<double, double>>& points, int colour, bool dashed) {
    if (points.empty()) return;
    data_ += "# " + title + "\n";
    for (const auto& [x, y] : points) data_ += num(x) + " " + num(y) + "\n";
    data_ += "\n\n";
    plots_.push_back("DATA index " + std::to_string(blocks_++) + " with linespoints lc " + std::to_string(colour) +
                     (dashed ? " dt 2 pt 6 notitle" : " pt 7 title " + gnuplot_quoted(title)));
  }
  bool empty() const { return blocks_ == 0; }
  Figure figure(const std::string& name, const std::string& title, const std::string& reading,
                const std::string& xlabel, const std::string& ylabel, const std::string& extra = "") const {
    std::string plot = "plot ";
    for (std::size_t i = 0; i < plots_.size(); ++i) {
      std::string p = plots_[i];
      p.replace(0, 4, gnuplot_quoted(name + ".dat"));
      plot += (i ? ", \\\n     " : "") + p;
    }
    return {name, title, reading, data_, preamble(name, title, xlabel, ylabel) + extra + plot + "\n"};
  }

 private:
  std::string data_;
  std::vector<std::string> plots_;
  int blocks_ = 0;
};

std::vector<std::string> hidden_layers(const RunMetrics& rm) {
  std::vector<std::string> out;
  for (const auto& l : rm.layers()) {
    if (l != "input") out.push_back(l);
  }
  return out;
}

// Each run's line, or (beyond kMaxRunLines runs) one panel per axis.
class Curves {
 public:
  Curves(const std::vector<ChartRun>& runs, std::vector<double> xs) : per_run_(runs.size() <= kMaxRunLines), xs_(std::move(xs)) {}
  void add(const ChartRun& run, std::size_t k, const std::string& title, const std::vector<std::pair<double, double>>& now,
           const std::vector<std::pair<double, double>>& start) {
    if (per_run_) {
      lines_.add(title, now, static_cast<int>(k % 8) + 1, false);
      lines_.add(title + " (epoch 0)", start, static_cast<int>(k % 8) + 1, true);
    } else if (!now.empty()) {
      curves_.push_back({run.axes, interpolate(now, xs_), interpolate(start, xs_)});
    }
  }
  Figure figure(const std::string& name, const std::string& title, const std::string& reading,
                const std::string& xlabel, const std::string& ylabel, const std::string& extra = "") const {
    if (per_run_) return lines_.empty() ? Figure{} : lines_.figure(name, title, reading, xlabel, ylabel, extra);
    return axis_panels({name, title + ": mean per level of each axis, 95% bootstrap band (n runs)", xlabel, ylabel,
                        xs_, reading},
                       curves_);
  }

 private:
  bool per_run_;
  std::vector<double> xs_;
  Lines lines_;
  std::vector<RunCurve> curves_;
};

std::vector<double> depth_grid() {
  std::vector<double> xs;
  for (int i = 0; i <= 10; ++i) xs.push_back(i / 10.0);
  return xs;
}

// One metric by relative depth (input 0, logits 1): the last epoch solid, epoch 0 dashed.
Figure by_layer(const std::vector<ChartRun>& runs, const std::string& method, const std::string& scope,
                const std::string& metric, const std::string& name, const std::string& label,
                bool rises_with_depth = false) {
  Curves lines(runs, depth_grid());
  int peaks_inside = 0, counted = 0, rises = 0;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const RunMetrics& rm = *runs[k].metrics;
    const auto layers = rm.layers();
    if (layers.size() < 2 || rm.epochs().empty()) continue;
    const int last = *rm.epochs().rbegin();
    std::vector<std::pair<double, double>> now, start;
    double best = -1e300;
    std::string best_layer;
    for (std::size_t i = 0; i < layers.size(); ++i) {
      const double x = static_cast<double>(i) / static_cast<double>(layers.size() - 1);
      const double v = layers[i] == "input" ? rm.latest(layers[i], scope, method, metric)
                                            : rm.get(last, layers[i], scope, method, metric);
      const double v0 = rm.get(0, layers[i], scope, method, metric);
      if (!std::isnan(v)) now.push_back({x, v});
      if (!std::isnan(v0) && last != 0) start.push_back({x, v0});
      if (!std::isnan(v) && layers[i] != "input" && v > best) {
        best = v;
        best_layer = layers[i];
      }
    }
    lines.add(runs[k], k, runs[k].label, now, start);
    if (!best_layer.empty()) {
      ++counted;
      peaks_inside += best_layer != layers.back();
      // Hidden layers only: the input and the logits are not the question.
      std::vector<double> hidden;
      for (std::size_t i = 0; i < layers.size(); ++i) {
        const double v = rm.get(last, layers[i], scope, method, metric);
        if (layers[i] != "input" && layers[i] != "logits" && !std::isnan(v)) hidden.push_back(v);
      }
      rises += hidden.size() >= 2 && hidden.back() > hidden.front();
    }
  }
  std::string reading;
  if (counted > 0 && rises_with_depth)
    reading = label + " rises with depth (deepest hidden layer above the shallowest) in " + std::to_string(rises) +
              " of " + std::to_string(counted) + " runs.";
  else if (counted > 0)
    reading = label + " peaks before the last layer in " + std::to_string(peaks_inside) + " of " +
              std::to_string(counted) + " runs.";
  return lines.figure(name, label + " by layer (solid: last epoch; dashed: epoch 0)", reading,
                      "relative depth (input = 0, last probe point = 1)", label, "set yrange [*:*]\n");
}

// One metric of the penultimate layer by epoch, for runs that stored several epochs.
Figure by_epoch(const std::vector<ChartRun>& runs, const std::string& method, const std::string& scope,
                const std::string& metric, const std::string& name, const std::string& label) {
  std::set<int> all_epochs;
  for (const auto& r : runs) {
    const auto e = r.metrics->epochs();
    all_epochs.insert(e.begin(), e.end());
  }
  Curves lines(runs, std::vector<double>(all_epochs.begin(), all_epochs.end()));
  int rises = 0, counted = 0;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const RunMetrics& rm = *runs[k].metrics;
    const auto hidden = hidden_layers(rm);
    if (rm.epochs().size() < 3 || hidden.empty()) continue;
    const std::string layer = runs[k].penultimate.empty() ? hidden.back() : runs[k].penultimate;
    std::vector<std::pair<double, double>> points;
    for (int e : rm.epochs()) {
      const double v = rm.get(e, layer, scope, method, metric);
      if (!std::isnan(v)) points.push_back({static_cast<double>(e), v});
    }
    if (points.size() >= 2) {
      ++counted;
      rises += points.back().second > points.front().second;
    }
    lines.add(runs[k], k, runs[k].label + " (" + layer + ")", points, {});
  }
  if (counted == 0) return {};
  return lines.figure(name, label + " of the penultimate layer by epoch", label + " rises from epoch 0 to the last in " +
                          std::to_string(rises) + " of " + std::to_string(counted) + " runs.",
                      "epoch", label);
}

// Matched-pair differences with their intervals, one row per compared pair.
Figure effects_chart(const EffectSet& set, const std::string& reading) {
  std::string data;
  int row = 0;
  for (const auto& axis : set.axes) {
    for (const auto& p : axis.pairs) {
      const double lo = p.diff.has_interval ? p.diff.low : p.diff.mean;
      const double hi = p.diff.has_interval ? p.diff.high : p.diff.mean;
      data += std::to_string(row++) + " " + num(p.diff.mean) + " " + num(lo) + " " + num(hi) + " " +
              gnuplot_quoted(p.level + " - " + p.versus + " (" + axis.axis + ")") + "\n";
    }
  }
  if (row == 0) return {};
  const std::string name = "effects_" + set.metric + "_" + set.at;
  const std::string what = set.metric == vocab::kAmi ? "AMI" : "e2e accuracy";
  const std::string title = "Paired differences of " + what + " at the " +
                            (set.at == "best" ? std::string("best") : std::string("penultimate")) + " layer";
  // Long level names (pretraining sources) take the left of the figure: the
  // plot keeps its own width beside them, and a row its own height.
  std::size_t longest = 0;
  for (const auto& axis : set.axes)
    for (const auto& p : axis.pairs) longest = std::max(longest, p.level.size() + p.versus.size() + axis.axis.size() + 6);
  const std::string size = std::to_string(std::min<std::size_t>(1400, 460 + 7 * longest)) + "," +
                           std::to_string(std::max(300, 90 + 26 * row));
  const std::string script = preamble(name, title, "difference, first minus second level (Holm-adjusted intervals)",
                                      "", size) +
                             "set key off\nset xrange [*<0:0<*]\nset yrange [-0.5:" + std::to_string(row) + "-0.5]\nset offsets graph 0.05, graph 0.05, 0, 0\n"
                             "set arrow from 0, graph 0 to 0, graph 1 nohead dt 2\n"
                             "plot " + gnuplot_quoted(name + ".dat") + " using 2:1:3:4:ytic(5) with xerrorbars pt 7\n";
  return {name, title, reading, data, script};
}

// Each hidden layer's CKA with its own last epoch, by epoch, averaged over the
// runs that have that layer (the subspace-clustering study: shallow layers converge first).
Figure cka_by_epoch(const std::vector<ChartRun>& runs) {
  std::map<std::string, std::map<int, std::pair<double, int>>> sums;  // layer -> epoch -> (sum, n)
  std::vector<std::string> order;
  int shallow_first = 0, counted = 0;
  for (const auto& run : runs) {
    const RunMetrics& rm = *run.metrics;
    std::vector<std::string> hidden;
    for (const auto& l : hidden_layers(rm))
      if (l != "logits") hidden.push_back(l);
    for (const auto& layer : hidden) {
      if (std::find(order.begin(), order.end(), layer) == order.end()) order.push_back(layer);
      for (int e : rm.epochs()) {
        const double v = rm.get(e, layer, vocab::kGlobal, vocab::kCka, vocab::kLinearCkaFinal);
        if (std::isnan(v)) continue;
        sums[layer][e].first += v;
        ++sums[layer][e].second;
      }
    }
    // At the first epoch after 0, is the shallowest hidden layer nearer its final state than the deepest?
    const auto& epochs = rm.epochs();
    if (hidden.size() >= 2 && epochs.size() >= 3) {
      const int e = *std::next(epochs.begin());
      const double a = rm.get(e, hidden.front(), vocab::kGlobal, vocab::kCka, vocab::kLinearCkaFinal);
      const double b = rm.get(e, hidden.back(), vocab::kGlobal, vocab::kCka, vocab::kLinearCkaFinal);
      if (!std::isnan(a) && !std::isnan(b)) {
        ++counted;
        shallow_first += a > b;
      }
    }
  }
  Lines lines;
  for (std::size_t k = 0; k < order.size(); ++k) {
    std::vector<std::pair<double, double>> points;
    for (const auto& [e, sn] : sums[order[k]]) points.push_back({static_cast<double>(e), sn.first / sn.second});
    if (points.size() >= 2) lines.add(order[k], points, static_cast<int>(k % 8) + 1, false);
  }
  if (lines.empty()) return {};
  return lines.figure("cka_vs_final_by_epoch", "Each layer's linear CKA with its last epoch, by epoch (mean over runs)",
                      counted == 0 ? "" : "At the first stored epoch the shallowest hidden layer is nearer its final "
                                          "state than the deepest in " + std::to_string(shallow_first) + " of " +
                                          std::to_string(counted) + " runs.",
                      "epoch", "linear CKA with the last epoch", "set yrange [0:1.05]\n");
}

// A labelled matrix (layer x layer, or layer@epoch x layer) as a heatmap.
Figure heatmap(const SimilarityRecord& m, const std::string& label) {
  std::string data = "x";
  for (const auto& c : m.cols) data += " " + gnuplot_quoted(c);
  data += "\n";
  for (std::size_t r = 0; r < m.rows.size(); ++r) {
    data += gnuplot_quoted(m.rows[r]);
    for (std::size_t c = 0; c < m.cols.size(); ++c) {
      const double v = m.values[r * m.cols.size() + c];
      data += " " + (std::isnan(v) ? std::string("?") : num(v));  // e.g. the input after epoch 0
    }
    data += "\n";
  }
  std::string name = "heatmap_" + m.run_id + "_" + m.name;
  for (auto& ch : name) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != '-') ch = '_';
  }
  const std::string title = m.name + " of " + label;
  const std::string script = preamble(name, title, "", "") +
                             "set key off\nset datafile missing \"?\"\nset cbrange [0:1]\nset palette defined (0 \"white\", 1 \"#08306b\")\n"
                             "set xtics rotate by 45 right noenhanced\nset ytics noenhanced\nunset grid\n"
                             "plot " + gnuplot_quoted(name + ".dat") + " matrix rowheaders columnheaders using 1:2:3 with image pixels\n";
  return {name, title, "", data, script};
}

}  // namespace

std::vector<Figure> study_charts(const std::vector<ChartRun>& runs, const std::string& method,
                                 const std::vector<EffectSet>& effects,
                                 const std::vector<SimilarityRecord>& similarities,
                                 const std::vector<std::string>& named) {
  std::vector<Figure> out;
  auto keep = [&](Figure f) {
    if (!f.name.empty()) out.push_back(std::move(f));
  };
  keep(by_layer(runs, method, vocab::kMean, vocab::kAmi, "ami_by_layer", "mean AMI"));
  keep(by_layer(runs, method, vocab::kMean, vocab::kAccuracy, "accuracy_by_layer", "within-superclass accuracy"));
  keep(by_layer(runs, method, vocab::kGlobal, vocab::kE2eAccuracy, "e2e_by_layer", "e2e accuracy"));
  std::vector<ChartRun> chosen;
  for (const auto& r : runs)
    if (std::find(named.begin(), named.end(), r.id) != named.end()) chosen.push_back(r);
  if (!chosen.empty()) {
    keep(by_layer(chosen, method, vocab::kMean, vocab::kAmi, "ami_by_layer_named", "mean AMI (report.runs)"));
    keep(by_layer(chosen, method, vocab::kGlobal, vocab::kE2eAccuracy, "e2e_by_layer_named",
                  "e2e accuracy (report.runs)"));
  }
  keep(by_epoch(runs, method, vocab::kMean, vocab::kAmi, "ami_by_epoch", "mean AMI"));
  keep(by_epoch(runs, method, vocab::kGlobal, vocab::kE2eAccuracy, "e2e_by_epoch", "e2e accuracy"));
  keep(by_layer(runs, vocab::kSsc, vocab::kGlobal, vocab::kClassAffinityRatio, "affinity_by_layer", "SSC class-affinity ratio", true));
  keep(by_layer(runs, vocab::kSsc, vocab::kGlobal, vocab::kModularity, "modularity_by_layer", "SSC graph modularity", true));
  keep(cka_by_epoch(runs));
  for (const auto& set : effects) {
    const auto sentences = effect_sentences({set});
    keep(effects_chart(set, sentences.empty() ? "" : sentences.front()));
  }
  std::map<std::string, std::string> label_of;
  for (const auto& r : runs) label_of[r.id] = r.label;
  std::set<std::string> shown;
  for (const auto& m : similarities) {
    if (m.rows.empty() || m.cols.empty() || !label_of.count(m.run_id)) continue;
    // The runs the user named, when named; else the first few.
    if (!named.empty() && std::find(named.begin(), named.end(), m.run_id) == named.end()) continue;
    if (!shown.count(m.run_id) && shown.size() >= kMaxHeatmapRuns) continue;
    shown.insert(m.run_id);
    keep(heatmap(m, label_of[m.run_id]));
  }
  return out;
}

}  // namespace cp::detail
