#pragma once
// Feature preprocessing before clustering: centring, row normalisation, PCA
// whitening and PCA projection.
#include <Eigen/Core>
#include <string>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// Local. Throws ConfigError("cluster.preprocess: ...") unless `step` is one of
///   center    subtract the column means;
///   l2        scale each row to unit norm (zero rows stay zero);
///   whiten    centre, rotate onto the principal axes and scale each to unit
///             variance; components whose variance is below 1e-10 times the
///             largest are dropped (output has that many fewer columns);
///   pca:<n>   integer n >= 1: centred scores on the top n principal axes
///             (n capped at min(rows, cols) when applied);
///   pca:<f>   0 < f < 1: the fewest top axes explaining at least a fraction f
///             of the total variance.
/// Lets the configuration be validated before any data are read.
void check_preprocess_step(const std::string& step);

/// Local, or collective over the holders when `holders` is split (below).
/// Applies the steps in order, in place. Every step is checked first
/// (check_preprocess_step), so an invalid list leaves X untouched. PCA steps
/// change the number of columns; their output columns are ordered by
/// decreasing variance, with each axis's sign fixed (its largest-magnitude
/// coordinate positive) so results do not depend on the eigensolver.
/// Variances use the divisor rows - 1, so after "whiten" the sample
/// covariance is the identity. Data without any variance are left centred
/// by "whiten" (nothing to scale).
///
/// With `holders` split, X is this holder's block of a matrix split by rows:
/// means, the covariance and the randomized sketch's products are summed
/// across holders, so each holder ends with its block of the matrix
/// preprocess() gives for all rows, up to the rounding of those sums (wide
/// data: the sketch is orthonormalised through its summed Gram matrix instead
/// of a Householder QR of rows no holder has). Collective over the holders.
void preprocess(RowMatrixXf& X, const std::vector<std::string>& steps, const RowHolders& holders = {});

/// Local, or collective over the holders when `holders` is split (the means
/// are then summed across them). Subtracts the column means (summed in
/// double) in place: the "center" step, and the first stage of every PCA step.
void center_columns(RowMatrixXf& X, const RowHolders& holders = {});

/// How many principal components principal_components() keeps.
struct PcaKeep {
  enum class Rule {
    count,        ///< the top `value` components (value >= 1, capped at min(rows, cols))
    fraction,     ///< the fewest explaining at least `value` (in (0, 1)) of the variance
    significant,  ///< those whose variance is at least `value` times the largest
  };
  Rule rule = Rule::count;
  double value = 1;
};

/// Principal axes of a centred matrix, by decreasing variance.
struct Pca {
  Eigen::MatrixXd axes;        ///< cols x r, orthonormal columns
  Eigen::VectorXd variance;    ///< r variances along the axes (divisor rows - 1)
  double total_variance = 0;   ///< trace of the covariance (all directions)
  bool randomized = false;     ///< true when the randomized SVD was used
};

/// Largest column count for which the exact covariance eigendecomposition is
/// used; wider data use a randomized SVD (Halko, Martinsson & Tropp 2011).
constexpr Eigen::Index kExactPcaMaxCols = 2048;

/// Local, or collective over the holders when `holders` is split (below).
/// Centres X in place (column means in double) and returns its
/// principal axes. Exact (SelfAdjointEigenSolver on the covariance, double)
/// when cols <= kExactPcaMaxCols; otherwise a randomized SVD with a Gaussian
/// sketch (oversampling 10, 4 power iterations with QR re-orthonormalisation,
/// fixed seed) of rank: the count; for a fraction 64, doubling until the
/// rule is decided; for `significant` min(rows, cols) at once (then exact).
/// Deterministic.
/// Split holders: collective; every holder gets the same axes.
Pca principal_components(RowMatrixXf& X, const PcaKeep& keep, const RowHolders& holders = {});

}  // namespace cp
