#include "clusterprobe/cluster/layer_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <functional>
#include <map>

#include "clusterprobe/cluster/methods.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/metrics/cka.hpp"

namespace cp {
namespace {

// SSC costs O(n^2) per layer: SSC-CKA uses at most this many evenly spaced rows.
constexpr std::int64_t kSscCkaRows = 2000;

std::string label(const LayerKey& k) { return k.layer + "@" + std::to_string(k.epoch); }

template <class Value>
SimilarityRecord square(const std::string& run_id, const std::string& name,
                        const std::vector<LayerKey>& keys, const std::vector<Value>& values,
                        const std::function<double(const Value&, const Value&)>& sim) {
  SimilarityRecord r{run_id, name, {}, {}, {}};
  for (const auto& k : keys) r.rows.push_back(label(k));
  r.cols = r.rows;
  r.values.assign(keys.size() * keys.size(), 1.0);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    for (std::size_t j = i + 1; j < keys.size(); ++j) {
      r.values[i * keys.size() + j] = r.values[j * keys.size() + i] = sim(values[i], values[j]);
    }
  }
  return r;
}

// Rows: layers; columns: stored epochs; NaN where a layer lacks that epoch.
template <class Value>
SimilarityRecord versus_final(const std::string& run_id, const std::string& name,
                              const std::vector<LayerKey>& keys, const std::vector<Value>& values,
                              const std::function<double(const Value&, const Value&)>& sim,
                              RecordBatch& out) {
  std::map<std::string, std::size_t> final_of;  // layer -> index of its last epoch
  std::vector<int> epochs;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto it = final_of.find(keys[i].layer);
    if (it == final_of.end() || keys[it->second].epoch < keys[i].epoch) final_of[keys[i].layer] = i;
    epochs.push_back(keys[i].epoch);
  }
  std::sort(epochs.begin(), epochs.end());
  epochs.erase(std::unique(epochs.begin(), epochs.end()), epochs.end());
  SimilarityRecord r{run_id, name, {}, {}, {}};
  for (const auto& [layer, _] : final_of) r.rows.push_back(layer);
  for (int e : epochs) r.cols.push_back("epoch_" + std::to_string(e));
  r.values.assign(r.rows.size() * r.cols.size(), std::nan(""));
  std::size_t row = 0;
  for (const auto& [layer, fin] : final_of) {
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (keys[i].layer != layer) continue;
      const double v = i == fin ? 1.0 : sim(values[i], values[fin]);
      const auto col = static_cast<std::size_t>(std::lower_bound(epochs.begin(), epochs.end(), keys[i].epoch) - epochs.begin());
      r.values[row * r.cols.size() + col] = v;
      out.metrics.push_back({run_id, layer, keys[i].epoch, "global", "cka", name.substr(0, name.find("_vs")) + "_final", v});
    }
    ++row;
  }
  return r;
}

}  // namespace

RecordBatch layer_similarity(const ActivationFile& file, const std::string& run_id,
                             const ClusterParams& config, bool with_ssc) {
  RecordBatch out;
  const auto& all = file.layers();
  int last = 0;
  for (const auto& k : all) last = std::max(last, k.epoch);
  // Layer-by-layer at the last epoch, plus layers stored only earlier (the input).
  std::vector<std::size_t> latest;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool later = std::any_of(all.begin(), all.end(), [&](const LayerKey& o) {
      return o.layer == all[i].layer && o.epoch > all[i].epoch;
    });
    if (!later) latest.push_back(i);
  }
  auto pick = [&](const auto& values) {
    std::vector<std::decay_t<decltype(values[0])>> v;
    for (auto i : latest) v.push_back(values[i]);
    return v;
  };
  std::vector<RowMatrixXf> acts;
  for (const auto& k : all) {
    acts.push_back(file.read(k));
    preprocess(acts.back(), config.preprocess);
  }
  const std::function<double(const RowMatrixXf&, const RowMatrixXf&)> cka = linear_cka;
  out.similarities.push_back(square(run_id, "linear_cka_layers", pick(all), pick(acts), cka));
  out.similarities.push_back(versus_final(run_id, "linear_cka_vs_final", all, acts, cka, out));

  if (with_ssc) {
    const std::int64_t n = file.rows(), m = std::min(n, kSscCkaRows);
    std::vector<std::int64_t> rows;
    for (std::int64_t i = 0; i < m; ++i) rows.push_back(i * n / m);
    std::vector<Affinity> graphs;
    for (const auto& a : acts) graphs.push_back(ssc_affinity(select_rows(a, rows), ssc_params(config, 0)));
    const std::function<double(const Affinity&, const Affinity&)> kcka =
        [](const Affinity& a, const Affinity& b) { return kernel_cka(a, b); };
    out.similarities.push_back(square(run_id, "ssc_cka_layers", pick(all), pick(graphs), kcka));
    out.similarities.push_back(versus_final(run_id, "ssc_cka_vs_final", all, graphs, kcka, out));
    out.metrics.push_back({run_id, "*", last, "global", "cka", "ssc_cka_points", static_cast<double>(m)});
  }
  return out;
}

}  // namespace cp
