// NC1 and Carbonnelle's subclass measures c1 / c2 (see the header).
#include "clusterprobe/metrics/collapse.hpp"

#include <Eigen/Eigenvalues>
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/silhouette.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kRowBlock = 512;             // rows converted to double at a time
constexpr double kRelativeCutoff = 1.0e-10;  // pseudo-inverse: eigenvalues below this x max are 0
const double kNaN = std::numeric_limits<double>::quiet_NaN();

/// Dense ids in increasing label order, with the size of each group.
struct Groups {
  std::vector<Index> id;
  std::vector<Index> size;
};

Groups compact(const std::vector<std::int32_t>& labels) {
  std::vector<std::int32_t> values(labels);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  Groups g;
  g.size.assign(values.size(), 0);
  g.id.reserve(labels.size());
  for (std::int32_t l : labels) {
    g.id.push_back(std::lower_bound(values.begin(), values.end(), l) - values.begin());
    ++g.size[g.id.back()];
  }
  return g;
}

void check_rows(const RowMatrixXf& H, std::size_t labels, const char* what) {
  CP_ASSERT(labels == static_cast<std::size_t>(H.rows()),
            std::string(what) + ": " + std::to_string(labels) + " labels for " +
                std::to_string(H.rows()) + " rows");
  CP_ASSERT(all_finite(H), std::string(what) + ": the representation contains NaN or infinity");
}

/// numpy.median: the mean of the two middle values for an even count.
double median(std::vector<double> v) {
  if (v.empty()) return kNaN;
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + mid, v.end());
  if (v.size() % 2 == 1) return v[mid];
  return (v[mid] + *std::max_element(v.begin(), v.begin() + mid)) / 2.0;
}

/// Per group: mean and sum of squared deviations (M2) of every column, two
/// passes in double (sums of squares would cancel for large activations);
/// sums over the holders' rows (g.size counts all of them).
struct Moments {
  RowMatrixXd mean, m2;  ///< groups x columns
};

Moments moments(const RowMatrixXf& H, const Groups& g, const SumAcrossHolders& sum) {
  const auto k = static_cast<Index>(g.size.size());
  Moments m{RowMatrixXd::Zero(k, H.cols()), RowMatrixXd::Zero(k, H.cols())};
  for (Index i = 0; i < H.rows(); ++i) m.mean.row(g.id[i]) += H.row(i).cast<double>();
  sum(m.mean.data(), static_cast<std::size_t>(m.mean.size()));
  for (Index c = 0; c < k; ++c) m.mean.row(c) /= static_cast<double>(g.size[c]);
  for (Index i = 0; i < H.rows(); ++i) {
    m.m2.row(g.id[i]) += (H.row(i).cast<double>() - m.mean.row(g.id[i])).array().square().matrix();
  }
  sum(m.m2.data(), static_cast<std::size_t>(m.m2.size()));
  return m;
}

}  // namespace

double nc1(const RowMatrixXf& H, const std::vector<std::int32_t>& labels) {
  std::vector<std::int32_t> classes(labels);
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  return nc1(H, labels, classes, [](double*, std::size_t) {});
}

double nc1(const RowMatrixXf& H, const std::vector<std::int32_t>& labels, const std::vector<std::int32_t>& classes,
           const SumAcrossHolders& sum) {
  check_rows(H, labels.size(), "nc1");
  const auto C = static_cast<Index>(classes.size());
  CP_ASSERT(C >= 2, "nc1 needs at least 2 classes, got " + std::to_string(C));
  std::vector<Index> id;
  id.reserve(labels.size());
  for (std::int32_t l : labels) {
    const auto it = std::lower_bound(classes.begin(), classes.end(), l);
    CP_ASSERT(it != classes.end() && *it == l, "nc1: label " + std::to_string(l) + " is not among the classes");
    id.push_back(it - classes.begin());
  }
  const Index D = H.cols();
  // Counts and class sums of every holder's rows, then the means.
  RowMatrixXd means = RowMatrixXd::Zero(C, D + 1);  // the last column counts
  for (Index i = 0; i < H.rows(); ++i) {
    means.row(id[i]).head(D) += H.row(i).cast<double>();
    means(id[i], D) += 1.0;
  }
  sum(means.data(), static_cast<std::size_t>(means.size()));
  const double N = means.col(D).sum();
  for (Index c = 0; c < C; ++c) {
    CP_ASSERT(means(c, D) > 0, "nc1: class " + std::to_string(classes[c]) + " has no rows");
    means.row(c).head(D) /= means(c, D);
  }
  means.conservativeResize(C, D);
  const RowMatrixXd M = means.rowwise() - means.colwise().mean();  // C x D, rows mu_c - mu_G

  // Within-class scatter, one block of centred rows Z at a time: the direct
  // route accumulates Z^T Z (D x D); the Gram route accumulates (Z M^T)^T
  // (Z M^T) = M Sigma_W M^T N (C x C), all that the trace needs when D > C.
  const bool gram = D > C;
  RowMatrixXd scatter = RowMatrixXd::Zero(gram ? C : D, gram ? C : D);
  RowMatrixXd z, p;
  for (Index r0 = 0; r0 < H.rows(); r0 += kRowBlock) {
    const Index rows = std::min(kRowBlock, H.rows() - r0);
    z.resize(rows, D);
    for (Index i = 0; i < rows; ++i) z.row(i) = H.row(r0 + i).cast<double>() - means.row(id[r0 + i]);
    if (gram) {
      p.noalias() = z * M.transpose();
      scatter.noalias() += p.transpose() * p;
    } else {
      scatter.noalias() += z.transpose() * z;
    }
  }
  sum(scatter.data(), static_cast<std::size_t>(scatter.size()));
  scatter /= N;  // Sigma_W, or M Sigma_W M^T

  // Gram route: G = M M^T = V diag(l) V^T, and with Sigma_B = M^T M / C,
  //   tr(Sigma_W Sigma_B^+) / C = sum_r v_r^T (M Sigma_W M^T) v_r / l_r^2.
  // Direct route: Sigma_B = U diag(s) U^T, tr(Sigma_W Sigma_B^+) = sum_r u_r^T Sigma_W u_r / s_r.
  const RowMatrixXd between = gram ? RowMatrixXd(M * M.transpose())
                                   : RowMatrixXd(M.transpose() * M / static_cast<double>(C));
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(between);
  CP_ASSERT(eig.info() == Eigen::Success, "nc1: eigendecomposition failed");
  const Eigen::VectorXd& values = eig.eigenvalues();  // ascending
  const double largest = values[values.size() - 1];
  if (!(largest > 0.0)) return kNaN;  // every class mean coincides
  double trace = 0.0;
  for (Index r = 0; r < values.size(); ++r) {
    if (values[r] <= kRelativeCutoff * largest) continue;
    const Eigen::VectorXd v = eig.eigenvectors().col(r);
    const double quad = v.dot(scatter * v);
    trace += gram ? quad / (values[r] * values[r]) : quad / values[r];
  }
  return gram ? trace : trace / static_cast<double>(C);
}

double subclass_selectivity(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                            const std::vector<std::int32_t>& coarse, int top_k) {
  std::set<std::pair<std::int32_t, std::int32_t>> pairs;
  for (std::size_t i = 0; i < fine.size() && i < coarse.size(); ++i) pairs.emplace(coarse[i], fine[i]);
  return subclass_selectivity(H, fine, coarse, {pairs.begin(), pairs.end()}, [](double*, std::size_t) {}, top_k);
}

double subclass_selectivity(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                            const std::vector<std::int32_t>& coarse,
                            const std::vector<std::pair<std::int32_t, std::int32_t>>& subclasses,
                            const SumAcrossHolders& sum, int top_k) {
  check_rows(H, fine.size(), "subclass_selectivity");
  check_rows(H, coarse.size(), "subclass_selectivity");
  CP_ASSERT(top_k >= 1, "top_k = " + std::to_string(top_k));
  // A subclass is a (coarse, fine) pair, so a fine label shared by two
  // superclasses counts as two subclasses.
  std::vector<std::int32_t> super_of;  // superclass label of each subclass id
  for (const auto& pair : subclasses) super_of.push_back(pair.first);
  Groups sub;
  std::vector<double> counts(subclasses.size(), 0.0);
  for (std::size_t i = 0; i < fine.size(); ++i) {
    const auto it = std::lower_bound(subclasses.begin(), subclasses.end(), std::make_pair(coarse[i], fine[i]));
    CP_ASSERT(it != subclasses.end() && *it == std::make_pair(coarse[i], fine[i]),
              "subclass_selectivity: a row's (coarse, fine) pair is not among the subclasses");
    sub.id.push_back(it - subclasses.begin());
    counts[static_cast<std::size_t>(sub.id.back())] += 1.0;
  }
  sum(counts.data(), counts.size());
  for (double c : counts) {
    CP_ASSERT(c > 0, "subclass_selectivity: a subclass has no rows");
    sub.size.push_back(static_cast<Index>(c));
  }
  const Moments m = moments(H, sub, sum);
  const auto subs = static_cast<Index>(super_of.size());

  std::vector<double> scores;
  Eigen::ArrayXd rest_mean, rest_m2, sel;
  for (Index c = 0; c < subs; ++c) {
    // The rest of c's superclass, pooled from its other subclasses (Chan et
    // al.'s combination of means and M2, exact up to rounding).
    double rest_n = 0.0;
    rest_mean.setZero(H.cols());
    for (Index j = 0; j < subs; ++j) {
      if (j == c || super_of[j] != super_of[c]) continue;
      rest_n += static_cast<double>(sub.size[j]);
      rest_mean += static_cast<double>(sub.size[j]) * m.mean.row(j).transpose().array();
    }
    if (rest_n == 0.0) continue;  // a superclass with a single subclass
    rest_mean /= rest_n;
    rest_m2.setZero(H.cols());
    for (Index j = 0; j < subs; ++j) {
      if (j == c || super_of[j] != super_of[c]) continue;
      rest_m2 += m.m2.row(j).transpose().array() +
                 static_cast<double>(sub.size[j]) *
                     (m.mean.row(j).transpose().array() - rest_mean).square();
    }
    const Eigen::ArrayXd own_mean = m.mean.row(c).transpose().array();
    const Eigen::ArrayXd spread = (m.m2.row(c).transpose().array() / static_cast<double>(sub.size[c])).sqrt() +
                                  (rest_m2 / rest_n).sqrt();
    std::vector<double> neurons;
    for (Index n = 0; n < H.cols(); ++n) {
      if (spread[n] > 0.0) neurons.push_back((own_mean[n] - rest_mean[n]) / spread[n]);
    }
    if (neurons.empty()) continue;  // every neuron dead on this superclass
    const auto k = std::min<std::size_t>(static_cast<std::size_t>(top_k), neurons.size());
    std::nth_element(neurons.begin(), neurons.begin() + (k - 1), neurons.end(), std::greater<>());
    scores.push_back(std::accumulate(neurons.begin(), neurons.begin() + k, 0.0) / static_cast<double>(k));
  }
  return median(std::move(scores));
}

double subclass_silhouette(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                           const std::vector<std::int32_t>& coarse, const std::string& metric) {
  check_rows(H, fine.size(), "subclass_silhouette");
  check_rows(H, coarse.size(), "subclass_silhouette");
  CP_ASSERT(metric == "euclidean" || metric == "cosine",
            "unknown silhouette metric '" + metric + "' (euclidean, cosine)");
  std::map<std::int32_t, std::vector<Index>> rows_of;  // superclass -> its rows
  for (std::size_t i = 0; i < coarse.size(); ++i) rows_of[coarse[i]].push_back(static_cast<Index>(i));
  std::vector<double> scores;
  for (const auto& [super, rows] : rows_of) {
    RowMatrixXf X(static_cast<Index>(rows.size()), H.cols());
    std::vector<std::int32_t> labels;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      X.row(static_cast<Index>(i)) = H.row(rows[i]);
      labels.push_back(fine[rows[i]]);
    }
    const Groups g = compact(labels);
    const auto n_sub = static_cast<Index>(g.size.size());
    // sklearn's silhouette is undefined here: one subclass, or only singletons.
    if (n_sub < 2 || n_sub > static_cast<Index>(rows.size()) - 1) continue;
    const std::vector<double> s = silhouette_samples(X, labels, metric);
    std::vector<double> sum(static_cast<std::size_t>(n_sub), 0.0);
    for (std::size_t i = 0; i < s.size(); ++i) sum[g.id[i]] += s[i];
    for (Index c = 0; c < n_sub; ++c) scores.push_back(sum[c] / static_cast<double>(g.size[c]));
  }
  return median(std::move(scores));
}

}  // namespace cp
