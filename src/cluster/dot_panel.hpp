#pragma once
// Private to src/cluster: the dot products of a block of rows with every
// centroid, the inner loop of k-means (assignment and k-means++ seeding).
//
// The default build targets baseline x86-64 (a cluster's nodes differ), where
// Eigen's GEMM is SSE2 only. So the kernel is compiled for AVX-512 and for
// AVX2 + FMA as well and chosen at run time, from what the CPU says
// (__builtin_cpu_supports), with Eigen's GEMM as the fallback. The vector
// kernels accumulate each dot product over the columns in order, one FMA per
// column, so AVX-512 and AVX2 give the same bits, and a row's result does not
// depend on the rows beside it. Up to kSmallK centroids, each dot product is
// summed along the row instead (16 interleaved lanes folded in halves, like
// finish_rows' distances): a vector across the centroids would be mostly
// padding. Those bits too are the same on every instruction set. The
// fallback rounds differently.
#include <cstdint>
#include <string>

#include "clusterprobe/common/matrix.hpp"

namespace cp::detail {

enum class DotKernel { avx512, avx2, eigen };

/// Centroid counts up to this use the along-the-row dots: the ymm panel they
/// replace spent 22% of the quickstart's cluster stage (2 centroids per
/// superclass, 4 k-means++ candidates), they spend 15%.
constexpr Eigen::Index kSmallK = 8;

/// The best kernel this CPU runs; CLUSTERPROBE_KERNEL=avx2|eigen asks for a lesser one.
DotKernel best_dot_kernel();

/// "avx512", "avx2" or "eigen".
std::string dot_kernel_name(DotKernel kernel = best_dot_kernel());

/// Centroids laid out for the kernel: transposed (d x k), the columns padded
/// to the kernel's vector width with zeros.
class DotPanel {
 public:
  /// `kernel` must run on this CPU (tests compare them).
  explicit DotPanel(const RowMatrixXf& centroids, DotKernel kernel = best_dot_kernel());
  Eigen::Index k() const { return k_; }
  /// Columns of the padded panel: the row stride of dots()'s output.
  Eigen::Index padded() const { return padded_; }

  /// out(i, j) = rows(i) . centroid(j) for j < padded() (padding columns get
  /// 0); `out` is resized to rows x padded(). Local, one thread.
  void dots(const RowMatrixXf& rows, RowMatrixXf& out) const;
  /// The same for `count` contiguous rows of d floats at `rows`; only for a
  /// vector kernel (the fallback needs blocks padded to the global grid).
  void dots(const float* rows, Eigen::Index count, Eigen::Index d, RowMatrixXf& out) const;
  bool vector_kernel() const { return kernel_ != DotKernel::eigen; }

  /// For rows [first, first + rows) of g (dots() output), the centroid
  /// minimising ||c||^2 - 2 x.c (the first of equal ones; 0 for a NaN row).
  void nearest(const RowMatrixXf& g, Eigen::Index first, Eigen::Index rows, std::int32_t* labels) const;

 private:
  DotKernel kernel_;
  bool small_ = false;       ///< at most kSmallK centroids: the small kernel on centroids_
  bool small_wide_ = false;  ///< ... its AVX-512 build (the same bits as the AVX2 one)
  Eigen::Index k_ = 0, padded_ = 0;
  Eigen::VectorXf norm2_;  ///< ||c||^2, +inf in the padding
  RowMatrixXf panel_;      ///< d x padded, for the vector kernels
  RowMatrixXf centroids_;  ///< k x d, for the fallback and the small mode
};

// Row operations of the Lloyd steps, compiled for AVX-512, AVX2 and the
// baseline and chosen at run time. Each defines its arithmetic lane by lane,
// so every version gives the same bits.

/// acc[t] += nearbyint(x[t] * scale[t]) for t in [0, d): a row added to exact
/// cluster sums (lloyd.cpp).
void add_rounded(double* acc, const float* x, const double* scale, Eigen::Index d);

/// For each of `rows` rows x (row-major, d columns) with its centroid
/// labels[i] (a row of `centroids`, k x d): dist2[i] = ||x - c||^2, summed in
/// 16 interleaved float lanes, then the lanes folded in halves (8 pairs, 4, 2,
/// 1); and
/// with `sums` (k x d) add_rounded into its centroid's row. Returns the sum of
/// dist2 in row order. One call per block: the per-row work is inlined.
double finish_rows(const float* x, Eigen::Index rows, Eigen::Index d, const float* centroids,
                   const std::int32_t* labels, float* dist2, double* sums, const double* scale);

}  // namespace cp::detail
