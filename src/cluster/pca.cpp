// Principal component analysis for the "whiten" and "pca:*" preprocessing
// steps.
//
// Exact path (cols <= kExactPcaMaxCols): the d x d covariance is accumulated
// in double from blocks of rows (a symmetric rank update, so no n x d double
// copy exists) and diagonalised by SelfAdjointEigenSolver.
//
// Randomized path (Halko, Martinsson & Tropp 2011, Alg. 4.4 + 5.1): a d x l
// Gaussian sketch, l = rank + 10, 4 power iterations (each product
// re-orthonormalised by QR, since powers of X X^T crush the small singular
// values below float precision otherwise), then the exact SVD of the small
// l x d matrix Q^T X. The big products run in float (the data are float);
// QR and the small SVD run in double. When the rule needs an unknown number
// of components (fraction), the rank doubles until the rule is decided; at
// rank min(rows, cols) the sketch spans the whole row space and the result
// is exact, which is where whitening starts.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>

#include <Eigen/Eigenvalues>
#include <Eigen/QR>
#include <Eigen/SVD>

#include "clusterprobe/cluster/preprocess.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr Index kOversampling = 10;
constexpr int kPowerIterations = 4;
constexpr Index kInitialRank = 64;      // first randomized rank when the count is unknown
constexpr Index kRowBlock = 512;        // rows per covariance update (8 MB of doubles at d = 2048)
constexpr double kTwoPi = 6.283185307179586;
constexpr std::uint64_t kSketchSeed = 0x9E3779B97F4A7C15ULL;  // fixed: results reproducible

/// Components sorted by decreasing variance.
struct Spectrum {
  Eigen::MatrixXd axes;
  Eigen::VectorXd variance;
};

double divisor(Index rows) { return rows > 1 ? static_cast<double>(rows - 1) : 1.0; }

/// Standard normal matrix from the raw generator via Box-Muller:
/// std::normal_distribution is implementation-defined, and a fixed seed must
/// give the same sketch with every standard library.
Eigen::MatrixXf gaussian(Index rows, Index cols, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&rng] { return (static_cast<double>(rng() >> 11) + 0.5) * 0x1.0p-53; };
  Eigen::MatrixXf g(rows, cols);
  float* data = g.data();
  const Index size = g.size();
  for (Index i = 0; i < size; i += 2) {
    const double radius = std::sqrt(-2.0 * std::log(uniform()));
    const double angle = kTwoPi * uniform();
    data[i] = static_cast<float>(radius * std::cos(angle));
    if (i + 1 < size) data[i + 1] = static_cast<float>(radius * std::sin(angle));
  }
  return g;
}

/// Orthonormal basis of the column space of M (thin Householder QR in double).
Eigen::MatrixXf orthonormalise(const Eigen::MatrixXf& M) {
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(M.cast<double>());
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(M.rows(), M.cols());
  return q.cast<float>();
}

Spectrum exact_spectrum(const RowMatrixXf& Xc, Index components) {
  const Index n = Xc.rows();
  const Index d = Xc.cols();
  Eigen::MatrixXd cov = Eigen::MatrixXd::Zero(d, d);
  Eigen::MatrixXd block;
  for (Index r0 = 0; r0 < n; r0 += kRowBlock) {
    block = Xc.middleRows(r0, std::min(kRowBlock, n - r0)).cast<double>();
    cov.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
  }
  cov /= divisor(n);
  // The solver reads only the lower triangle, which is what rankUpdate filled.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  if (eig.info() != Eigen::Success) CP_THROW_INTERNAL("covariance eigendecomposition failed");
  Spectrum s;
  // Eigenvalues come in increasing order: take the last `components` reversed.
  s.axes = eig.eigenvectors().rightCols(components).rowwise().reverse();
  s.variance = eig.eigenvalues().tail(components).reverse().cwiseMax(0.0);
  return s;
}

Spectrum randomized_spectrum(const RowMatrixXf& Xc, Index rank) {
  const Index full = std::min(Xc.rows(), Xc.cols());
  const Index l = std::min(rank + kOversampling, full);
  Eigen::MatrixXf y = Xc * gaussian(Xc.cols(), l, kSketchSeed);
  // Once the sketch spans the whole row space power iterations cannot improve it.
  if (l < full) {
    for (int q = 0; q < kPowerIterations; ++q) {
      const Eigen::MatrixXf z = orthonormalise(Xc.transpose() * orthonormalise(y));
      y = Xc * z;
    }
  }
  const Eigen::MatrixXf q = orthonormalise(y);
  // B^T = X^T Q (d x l); its left singular vectors are the principal axes.
  const Eigen::MatrixXd bt = (Xc.transpose() * q).cast<double>();
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(bt, Eigen::ComputeThinU);
  if (svd.info() != Eigen::Success) CP_THROW_INTERNAL("randomized PCA: SVD failed");
  const Index keep = std::min(rank, l);
  Spectrum s;
  s.axes = svd.matrixU().leftCols(keep);
  s.variance = svd.singularValues().head(keep).array().square() / divisor(Xc.rows());
  return s;
}

/// How many of the spectrum's components the rule keeps; `decided` is false
/// when the rule may need components beyond those computed.
Index components_to_keep(const Spectrum& s, const PcaKeep& keep, double total, bool* decided) {
  const Index m = s.variance.size();
  *decided = true;
  switch (keep.rule) {
    case PcaKeep::Rule::count:
      return std::min<Index>(m, static_cast<Index>(keep.value));
    case PcaKeep::Rule::fraction: {
      double sum = 0.0;
      for (Index i = 0; i < m; ++i) {
        sum += s.variance[i];
        if (sum >= keep.value * total) return i + 1;
      }
      *decided = false;
      return m;
    }
    case PcaKeep::Rule::significant: {
      const double floor = m > 0 ? keep.value * s.variance[0] : 0.0;
      for (Index i = 0; i < m; ++i) {
        if (!(s.variance[i] > 0.0 && s.variance[i] >= floor)) return i;
      }
      *decided = false;
      return m;
    }
  }
  CP_THROW_INTERNAL("unknown PCA rule");
}

/// Eigenvectors have an arbitrary sign: make each axis's largest-magnitude
/// coordinate positive so the output does not depend on the solver.
void fix_signs(Eigen::MatrixXd& axes) {
  for (Index c = 0; c < axes.cols(); ++c) {
    Index arg = 0;
    axes.col(c).cwiseAbs().maxCoeff(&arg);
    if (axes(arg, c) < 0.0) axes.col(c) *= -1.0;
  }
}

}  // namespace

Pca principal_components(RowMatrixXf& X, const PcaKeep& keep) {
  CP_ASSERT(X.allFinite(), "the data contain NaN or infinite values");
  center_columns(X);
  const Index full = std::min(X.rows(), X.cols());
  Pca out;
  out.total_variance = 0.0;
  for (Index i = 0; i < X.rows(); ++i) out.total_variance += X.row(i).cast<double>().squaredNorm();
  out.total_variance /= divisor(X.rows());
  if (full == 0) {
    out.axes.resize(X.cols(), 0);
    return out;
  }

  Spectrum s;
  bool decided = false;
  Index kept = 0;
  if (X.cols() <= kExactPcaMaxCols) {
    s = exact_spectrum(X, full);
    kept = components_to_keep(s, keep, out.total_variance, &decided);
  } else {
    out.randomized = true;
    // Whitening keeps every direction above 1e-10 of the largest variance,
    // i.e. nearly all of them for real data: one full-rank sketch (exact, no
    // power iterations) beats a ladder of growing ones.
    Index rank = keep.rule == PcaKeep::Rule::count
                     ? std::min<Index>(full, static_cast<Index>(keep.value))
                     : keep.rule == PcaKeep::Rule::significant ? full : std::min(kInitialRank, full);
    for (;;) {
      s = randomized_spectrum(X, rank);
      kept = components_to_keep(s, keep, out.total_variance, &decided);
      if (decided || rank == full) break;
      // Past half the full rank a sketch costs about as much as the exact one.
      rank = 4 * rank > full ? full : 2 * rank;
    }
  }
  out.axes = s.axes.leftCols(kept);
  out.variance = s.variance.head(kept);
  fix_signs(out.axes);
  return out;
}

}  // namespace cp
