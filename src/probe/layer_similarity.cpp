#include "clusterprobe/probe/layer_similarity.hpp"

#include <algorithm>
#include <cmath>
#include <type_traits>
#include <functional>
#include <map>
#include <numeric>

#include "clusterprobe/cluster/methods.hpp"
#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/cluster/ssc.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/cka.hpp"
#include "sampled.hpp"

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
      out.metrics.push_back({run_id, layer, keys[i].epoch, vocab::kGlobal, vocab::kCka, name.substr(0, name.find("_vs")) + "_final", v});
    }
    ++row;
  }
  return r;
}

// The layers compared layer by layer: those at the last epoch, plus layers
// stored only earlier (the input).
std::vector<std::size_t> latest_of(const std::vector<LayerKey>& all) {
  std::vector<std::size_t> latest;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const bool later = std::any_of(all.begin(), all.end(), [&](const LayerKey& o) {
      return o.layer == all[i].layer && o.epoch > all[i].epoch;
    });
    if (!later) latest.push_back(i);
  }
  return latest;
}

template <class Value>
std::vector<Value> pick(const std::vector<Value>& values, const std::vector<std::size_t>& indices) {
  std::vector<Value> v;
  for (auto i : indices) v.push_back(values[i]);
  return v;
}

int last_epoch(const std::vector<LayerKey>& all) {
  int last = 0;
  for (const auto& k : all) last = std::max(last, k.epoch);
  return last;
}

// SSC-CKA's rows: evenly spaced, ascending.
std::vector<std::int64_t> ssc_cka_rows(std::int64_t n) {
  const std::int64_t m = std::min(n, kSscCkaRows);
  std::vector<std::int64_t> rows;
  for (std::int64_t i = 0; i < m; ++i) rows.push_back(i * n / m);
  return rows;
}

// SSC-CKA from each layer's rows `rows` (already selected), into `out`.
void ssc_cka(const std::string& run_id, const std::vector<LayerKey>& all, const std::vector<RowMatrixXf>& sampled,
             const ClusterParams& config, RecordBatch& out) {
  const auto latest = latest_of(all);
  std::vector<Affinity> graphs;
  for (const auto& a : sampled) graphs.push_back(ssc_affinity(a, ssc_params(config, 0)));
  const std::function<double(const Affinity&, const Affinity&)> kcka =
      [](const Affinity& a, const Affinity& b) { return kernel_cka(a, b); };
  out.similarities.push_back(square(run_id, "ssc_cka_layers", pick(all, latest), pick(graphs, latest), kcka));
  out.similarities.push_back(versus_final(run_id, "ssc_cka_vs_final", all, graphs, kcka, out));
  const double points = sampled.empty() ? 0.0 : static_cast<double>(sampled.front().rows());
  out.metrics.push_back({run_id, "*", last_epoch(all), vocab::kGlobal, vocab::kCka, "ssc_cka_points", points});
}

// Linear CKA of layers whose rows are split over the ranks, from cross
// products reduced on rank 0 (the value there; the others compute nothing
// they keep). ||Y^T X||_F^2 is summed a block of X's columns at a time, so
// no d x d matrix of a wide layer is ever held.
class SplitCka {
 public:
  // Columns are centred in double as each block is loaded, as linear_cka() does.
  SplitCka(const std::vector<RowMatrixXf>& acts, const RowHolders& holders, MPI_Comm comm)
      : acts_(acts), comm_(comm), self_(acts.size(), -1.0) {
    for (const auto& a : acts) means_.push_back(column_means(a, holders));
  }

  double operator()(const std::size_t& i, const std::size_t& j) {
    const double num = cross(i, j), den = std::sqrt(self(i)) * std::sqrt(self(j));
    return den > 0.0 ? num / den : std::nan("");
  }

 private:
  static constexpr Eigen::Index kCols = 256, kRows = 512;

  double self(std::size_t i) {
    if (self_[i] < 0) self_[i] = cross(i, i);
    return self_[i];
  }

  double cross(std::size_t i, std::size_t j) {
    const RowMatrixXf &X = acts_[i], &Y = acts_[j];
    double total = 0.0;
    RowMatrixXd p, xb, yb;
    for (Eigen::Index c0 = 0; c0 < X.cols(); c0 += kCols) {
      const Eigen::Index cols = std::min(kCols, X.cols() - c0);
      p.setZero(Y.cols(), cols);
      for (Eigen::Index r0 = 0; r0 < X.rows(); r0 += kRows) {
        const Eigen::Index rows = std::min(kRows, X.rows() - r0);
        xb = X.block(r0, c0, rows, cols).cast<double>().rowwise() - means_[i].segment(c0, cols);
        yb = Y.middleRows(r0, rows).cast<double>().rowwise() - means_[j];
        p.noalias() += yb.transpose() * xb;
      }
      const bool root = comm_rank(comm_) == 0;
      check_mpi(MPI_Reduce(root ? MPI_IN_PLACE : p.data(), p.data(), static_cast<int>(p.size()), MPI_DOUBLE, MPI_SUM,
                           0, comm_),
                "linear CKA: MPI_Reduce");
      total += p.squaredNorm();
    }
    return total;
  }

  const std::vector<RowMatrixXf>& acts_;
  MPI_Comm comm_;
  std::vector<double> self_;
  std::vector<Eigen::RowVectorXd> means_;
};

}  // namespace

RecordBatch layer_similarity(const ActivationFile& file, const std::string& run_id,
                             const ClusterParams& config, bool with_ssc) {
  RecordBatch out;
  const auto& all = file.layers();
  const auto latest = latest_of(all);
  std::vector<RowMatrixXf> acts;
  for (const auto& k : all) {
    acts.push_back(file.read(k));
    preprocess(acts.back(), config.preprocess);
  }
  const std::function<double(const RowMatrixXf&, const RowMatrixXf&)> cka = linear_cka;
  out.similarities.push_back(square(run_id, "linear_cka_layers", pick(all, latest), pick(acts, latest), cka));
  out.similarities.push_back(versus_final(run_id, "linear_cka_vs_final", all, acts, cka, out));

  if (with_ssc) {
    const auto rows = ssc_cka_rows(file.rows());
    std::vector<RowMatrixXf> sampled;
    for (const auto& a : acts) sampled.push_back(select_rows(a, rows));
    ssc_cka(run_id, all, sampled, config, out);
  }
  return out;
}

RecordBatch layer_similarity_distributed(const ActivationFile& file, const std::string& run_id,
                                         const ClusterParams& config, bool with_ssc, MPI_Comm comm) {
  const int rank = comm_rank(comm), size = comm_size(comm);
  const std::int64_t n = file.rows(), first = n * rank / size, last = n * (rank + 1) / size;
  const auto& all = file.layers();
  const RowHolders holders{n, [comm](double* v, std::size_t count) { sum_same_bits(v, count, comm); }};
  std::vector<RowMatrixXf> acts(all.size());
  for (std::size_t i = 0; i < all.size(); ++i) {
    collective(comm, [&] {
      acts[i] = file.read_rows(all[i], first, last - first);
      if (!all_finite(acts[i])) throw InputError("/epoch_" + std::to_string(all[i].epoch) + "/" + all[i].layer +
                                                 ": a value is not finite");
    });
    preprocess(acts[i], config.preprocess, holders);
  }
  std::vector<RowMatrixXf> sampled;  // SSC-CKA's rows, on rank 0
  if (with_ssc) {
    const auto rows = ssc_cka_rows(n);
    for (const auto& a : acts) sampled.push_back(detail::gather_rows_to(a, first, rows, 0, comm));
  }
  RecordBatch out;
  SplitCka split(acts, holders, comm);
  const std::function<double(const std::size_t&, const std::size_t&)> cka = std::ref(split);
  std::vector<std::size_t> index(all.size());
  std::iota(index.begin(), index.end(), std::size_t{0});
  const auto latest = latest_of(all);
  out.similarities.push_back(square(run_id, "linear_cka_layers", pick(all, latest), latest, cka));
  out.similarities.push_back(versus_final(run_id, "linear_cka_vs_final", all, index, cka, out));
  acts.clear();
  collective(comm, [&] {
    if (rank == 0 && with_ssc) ssc_cka(run_id, all, sampled, config, out);
  });
  return rank == 0 ? out : RecordBatch{};
}

}  // namespace cp
