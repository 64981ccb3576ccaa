#pragma once
// Label-based structure of a representation H (one sample per row):
//  - nc1: within-class variability relative to between-class separation,
//    the NC1 statistic of neural collapse (Papyan, Han & Donoho 2020);
//  - subclass_selectivity and subclass_silhouette: Carbonnelle's measures c1
//    and c2 of how a network trained on superclasses still separates their
//    subclasses (thesis arXiv 2203.08174, ch. 2; code
//    Simoncarbo/Intraclass-clustering-measures, measures.py), for one layer.
// Labels may be any int32 values. All sums run in double.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// Local. NC1 = tr(Sigma_W Sigma_B^+) / C for the C classes of `labels`:
///   Sigma_W = (1/N) sum_i (h_i - mu_{y_i})(h_i - mu_{y_i})^T  (all N samples),
///   Sigma_B = (1/C) sum_c (mu_c - mu_G)(mu_c - mu_G)^T,
/// with mu_G the mean of the class means (as Papyan et al.'s code; it is the
/// global mean for balanced classes and keeps rank(Sigma_B) <= C - 1 for any
/// class sizes). The pseudo-inverse drops eigenvalues of Sigma_B below 1e-10
/// times the largest. When D > C it works in the C x C Gram space of the
/// class means and never forms a D x D matrix. 0 for perfectly collapsed
/// classes; NaN if every class mean coincides (Sigma_B = 0). Throws
/// InternalError for fewer than 2 classes, a length mismatch or non-finite H.
double nc1(const RowMatrixXf& H, const std::vector<std::int32_t>& labels);

/// nc1() of the rows of several holders (ranks), each passing its own rows,
/// their labels, the sorted distinct labels of all rows (`classes`) and the
/// same `sum`: class counts, class sums and the within-class scatter are
/// summed across holders, so the value equals nc1() of all rows up to the
/// rounding of those sums. nc1(H, labels) is this with one holder.
double nc1(const RowMatrixXf& H, const std::vector<std::int32_t>& labels, const std::vector<std::int32_t>& classes,
           const SumAcrossHolders& sum);

/// Local. Carbonnelle's c1, neuron-level subclass selectivity. A subclass is
/// a (coarse, fine) pair. For each subclass c of superclass s and each neuron
/// (column) n:
///   sel(n, c) = (mu_{n,c} - mu_{n,s\c}) / (sigma_{n,c} + sigma_{n,s\c})
/// (means and population standard deviations over c's samples and over the
/// rest of s); neurons whose denominator is 0 (dead on all of s) are skipped.
/// The subclass scores the mean of its top_k neurons (fewer if fewer are
/// left), and the result is the median over subclasses. Superclasses with a
/// single subclass are skipped; NaN if no subclass is left. Throws
/// InternalError for top_k < 1, length mismatches or non-finite H.
double subclass_selectivity(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                            const std::vector<std::int32_t>& coarse, int top_k = 30);

/// subclass_selectivity() of the rows of several holders (ranks), each
/// passing its own rows and labels, the sorted distinct (coarse, fine) pairs
/// of all rows (`subclasses`) and the same `sum`: counts, means and squared
/// deviations are summed across holders (two passes, as in memory), so the
/// value equals the one-holder one up to the rounding of those sums.
double subclass_selectivity(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                            const std::vector<std::int32_t>& coarse,
                            const std::vector<std::pair<std::int32_t, std::int32_t>>& subclasses,
                            const SumAcrossHolders& sum, int top_k = 30);

/// Local. Carbonnelle's c2 for one layer: within each superclass, the
/// silhouette (see silhouette.hpp; `metric` euclidean or cosine) of its
/// samples with their subclass labels; each subclass scores the mean
/// silhouette of its samples, and the result is the median over subclasses.
/// Superclasses where the silhouette is undefined (one subclass, or every
/// subclass a single sample) are skipped; NaN if none is left.
double subclass_silhouette(const RowMatrixXf& H, const std::vector<std::int32_t>& fine,
                           const std::vector<std::int32_t>& coarse,
                           const std::string& metric = "cosine");

}  // namespace cp
