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
//
// Rows split over holders (ranks, RowHolders): the covariance, the total
// variance and every product X^T Q are summed across them. A Householder QR
// of the sketch would need rows no holder has, so each holder orthonormalises
// its rows of the sketch with the summed l x l Gram matrix instead (SVQB,
// Stathopoulos & Wu 2002: scale by its eigenvectors over the square roots of
// its eigenvalues, dropping directions without energy). The Gram is formed in
// double, so its squared condition number stays far below 1/eps.
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
constexpr double kGramDropBelow = 1e-12;  // SVQB: Gram eigenvalues (squared singular values) below this x max carry only rounding

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
Eigen::MatrixXf orthonormalise(const Eigen::MatrixXd& M) {
  const Eigen::HouseholderQR<Eigen::MatrixXd> qr(M);
  const Eigen::MatrixXd q = qr.householderQ() * Eigen::MatrixXd::Identity(M.rows(), M.cols());
  return q.cast<float>();
}

/// The lower triangle of M^T M (M's rows split over the holders), in double.
template <class Matrix>
Eigen::MatrixXd gram_of_columns(const Matrix& M, const RowHolders& holders) {
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(M.cols(), M.cols());
  Eigen::MatrixXd block;
  for (Index r0 = 0; r0 < M.rows(); r0 += kRowBlock) {
    block = M.middleRows(r0, std::min(kRowBlock, M.rows() - r0)).template cast<double>();
    gram.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
  }
  holders.add(gram.data(), static_cast<std::size_t>(gram.size()));
  return gram;
}

Spectrum exact_spectrum(const RowMatrixXf& Xc, Index components, const RowHolders& holders) {
  Eigen::MatrixXd cov = gram_of_columns(Xc, holders);
  cov /= divisor(holders.rows(Xc.rows()));
  // The solver reads only the lower triangle, which is what rankUpdate filled.
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(cov);
  if (eig.info() != Eigen::Success) CP_THROW_INTERNAL("covariance eigendecomposition failed");
  Spectrum s;
  // Eigenvalues come in increasing order: take the last `components` reversed.
  s.axes = eig.eigenvectors().rightCols(components).rowwise().reverse();
  s.variance = eig.eigenvalues().tail(components).reverse().cwiseMax(0.0);
  return s;
}

/// This holder's rows of an orthonormal basis of the columns of y, whose
/// rows are split over the holders (SVQB; see the top of the file). May have
/// fewer columns than y when y is rank-deficient.
Eigen::MatrixXf orthonormalise_split(const Eigen::MatrixXf& y, const RowHolders& holders) {
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(gram_of_columns(y, holders));
  if (eig.info() != Eigen::Success) CP_THROW_INTERNAL("randomized PCA: Gram eigendecomposition failed");
  const Eigen::VectorXd& values = eig.eigenvalues();  // ascending
  const double largest = values.size() > 0 ? values[values.size() - 1] : 0.0;
  Index first = 0;
  while (first < values.size() && !(values[first] > kGramDropBelow * largest)) ++first;
  const Index kept = values.size() - first;
  const Eigen::MatrixXd scale =
      eig.eigenvectors().rightCols(kept) * values.tail(kept).cwiseSqrt().cwiseInverse().asDiagonal();
  Eigen::MatrixXf q(y.rows(), kept);
  for (Index r0 = 0; r0 < y.rows(); r0 += kRowBlock) {
    const Index rows = std::min(kRowBlock, y.rows() - r0);
    q.middleRows(r0, rows) = (y.middleRows(r0, rows).cast<double>() * scale).cast<float>();
  }
  return q;
}

/// X^T Q summed across the holders, in double.
Eigen::MatrixXd transposed_times(const RowMatrixXf& Xc, const Eigen::MatrixXf& q, const RowHolders& holders) {
  Eigen::MatrixXd p = (Xc.transpose() * q).cast<double>();
  holders.add(p.data(), static_cast<std::size_t>(p.size()));
  return p;
}

Spectrum randomized_spectrum(const RowMatrixXf& Xc, Index rank, const RowHolders& holders) {
  const Index full = std::min(holders.rows(Xc.rows()), Xc.cols());
  const Index l = std::min(rank + kOversampling, full);
  // One holder keeps the Householder QR of all rows; split holders use SVQB.
  const auto basis = [&](const Eigen::MatrixXf& y) {
    return holders.split() ? orthonormalise_split(y, holders) : orthonormalise(y.cast<double>());
  };
  Eigen::MatrixXf y = Xc * gaussian(Xc.cols(), l, kSketchSeed);
  // Once the sketch spans the whole row space power iterations cannot improve it.
  if (l < full) {
    for (int q = 0; q < kPowerIterations; ++q) {
      const Eigen::MatrixXf z = orthonormalise(transposed_times(Xc, basis(y), holders));
      y = Xc * z;
    }
  }
  // B^T = X^T Q (d x l); its left singular vectors are the principal axes.
  const Eigen::MatrixXd bt = transposed_times(Xc, basis(y), holders);
  const Eigen::BDCSVD<Eigen::MatrixXd> svd(bt, Eigen::ComputeThinU);
  if (svd.info() != Eigen::Success) CP_THROW_INTERNAL("randomized PCA: SVD failed");
  const Index keep = std::min(rank, bt.cols());
  Spectrum s;
  s.axes = svd.matrixU().leftCols(keep);
  s.variance = svd.singularValues().head(keep).array().square() / divisor(holders.rows(Xc.rows()));
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

Pca principal_components(RowMatrixXf& X, const PcaKeep& keep, const RowHolders& holders) {
  CP_ASSERT(all_finite(X), "the data contain NaN or infinite values");
  center_columns(X, holders);
  const Index full = std::min(holders.rows(X.rows()), X.cols());
  Pca out;
  out.total_variance = 0.0;
  for (Index i = 0; i < X.rows(); ++i) out.total_variance += X.row(i).cast<double>().squaredNorm();
  holders.add(&out.total_variance, 1);
  out.total_variance /= divisor(holders.rows(X.rows()));
  if (full == 0) {
    out.axes.resize(X.cols(), 0);
    return out;
  }

  Spectrum s;
  bool decided = false;
  Index kept = 0;
  if (X.cols() <= kExactPcaMaxCols) {
    s = exact_spectrum(X, full, holders);
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
      s = randomized_spectrum(X, rank, holders);
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
