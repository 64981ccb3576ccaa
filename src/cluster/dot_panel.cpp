#include "dot_panel.hpp"

// GCC 12's own AVX-512 reductions (_mm512_reduce_min_ps) trip
// -Wmaybe-uninitialized inside the header: a false positive there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "clusterprobe/common/error.hpp"
#include "lloyd_blocks.hpp"

namespace cp::detail {
namespace {

// 16 lanes folded in halves: a fixed order, and four dependent adds, not
// sixteen (constant bounds, so each fold is one vector add).
__attribute__((always_inline)) inline float fold16(float* lanes) {
  for (Index l = 0; l < 8; ++l) lanes[l] += lanes[l + 8];
  for (Index l = 0; l < 4; ++l) lanes[l] += lanes[l + 4];
  for (Index l = 0; l < 2; ++l) lanes[l] += lanes[l + 2];
  return lanes[0] + lanes[1];
}

// The last three halvings of fold16, on 8 lanes already added in pairs (l, l + 8).
__attribute__((target("avx"))) inline float fold8(__m256 s8) {
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

// Rows per tile: R x C accumulators plus C centroid vectors and one
// broadcast fit the 32 zmm (16 ymm) registers.
#pragma GCC push_options
#pragma GCC target("avx512f")
namespace avx512 {
using Vec = __m512;
constexpr Index kWidth = 16, kRowsWide = 8, kRowsNarrow = 12;
inline Vec load(const float* p) { return _mm512_loadu_ps(p); }
inline Vec broadcast(float v) { return _mm512_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm512_mul_ps(a, b); }
// fold16 of the 16 lanes in v[0], in registers.
inline float fold(const Vec* v) {
  const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v[0]), 1));
  return fold8(_mm256_add_ps(_mm512_castps512_ps256(v[0]), hi));
}
inline Vec zero() { return _mm512_setzero_ps(); }
inline void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }
using IVec = __m512i;
inline IVec iota(int from) {
  return _mm512_add_epi32(_mm512_set1_epi32(from),
                          _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}
inline void keep_less(Vec s, IVec idx, Vec& best, IVec& at) {
  const __mmask16 less = _mm512_cmp_ps_mask(s, best, _CMP_LT_OQ);
  best = _mm512_mask_blend_ps(less, best, s);
  at = _mm512_mask_blend_epi32(less, at, idx);
}
inline std::int32_t first_min(Vec best, IVec at) {
  const __mmask16 eq = _mm512_cmp_ps_mask(best, _mm512_set1_ps(_mm512_reduce_min_ps(best)), _CMP_EQ_OQ);
  return eq ? _mm512_mask_reduce_min_epi32(eq, at) : 0;
}
#include "dot_panel_kernel.inc"
}  // namespace avx512
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
using Vec = __m256;
constexpr Index kWidth = 8, kRowsWide = 6, kRowsNarrow = 12;
inline Vec load(const float* p) { return _mm256_loadu_ps(p); }
inline Vec broadcast(float v) { return _mm256_set1_ps(v); }
inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
inline Vec mul(Vec a, Vec b) { return _mm256_mul_ps(a, b); }
// fold16 of the 16 lanes in v[0] (0-7) and v[1] (8-15), in registers.
inline float fold(const Vec* v) { return fold8(_mm256_add_ps(v[0], v[1])); }
inline Vec zero() { return _mm256_setzero_ps(); }
inline void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }
using IVec = __m256i;
inline IVec iota(int from) {
  return _mm256_add_epi32(_mm256_set1_epi32(from), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
inline void keep_less(Vec s, IVec idx, Vec& best, IVec& at) {
  const Vec less = _mm256_cmp_ps(s, best, _CMP_LT_OQ);
  best = _mm256_blendv_ps(best, s, less);
  at = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(idx), less));
}
inline std::int32_t first_min(Vec best, IVec at) {
  alignas(32) float b[8];
  alignas(32) std::int32_t a[8];
  _mm256_store_ps(b, best);
  _mm256_store_si256(reinterpret_cast<__m256i*>(a), at);
  std::int32_t label = a[0];
  float m = b[0];
  for (int l = 1; l < 8; ++l)
    if (b[l] < m || (b[l] == m && a[l] < label)) m = b[l], label = a[l];
  return label;
}
#include "dot_panel_kernel.inc"
}  // namespace avx2
#pragma GCC pop_options

using Kernel = DotKernel;

Index width(Kernel k) { return k == Kernel::avx512 ? 16 : k == Kernel::avx2 ? 8 : 1; }

}  // namespace

// The row arithmetic, inlined into each instruction set's version of the
// functions below.
__attribute__((always_inline)) inline void add_rounded_row(double* acc, const float* x, const double* scale, Index d) {
  for (Index t = 0; t < d; ++t) acc[t] += std::nearbyint(static_cast<double>(x[t]) * scale[t]);
}

__attribute__((always_inline)) inline float distance_row(const float* a, const float* b, Index d) {
  constexpr Index kLanes = 16;
  float lanes[kLanes] = {};
  Index t = 0;
  for (; t + kLanes <= d; t += kLanes) {
    for (Index l = 0; l < kLanes; ++l) {
      const float e = a[t + l] - b[t + l];
      lanes[l] += e * e;
    }
  }
  for (; t < d; ++t) {
    const float e = a[t] - b[t];
    lanes[t % kLanes] += e * e;
  }
  return fold16(lanes);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void add_rounded(double* acc, const float* x,
                                                                               const double* scale, Index d) {
  add_rounded_row(acc, x, scale, d);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) double finish_rows(
    const float* x, Index rows, Index d, const float* centroids, const std::int32_t* labels, float* dist2,
    double* sums, const double* scale) {
  double total = 0.0;
  for (Index i = 0; i < rows; ++i) {
    const float* xi = x + i * d;
    const Index c = labels[i];
    dist2[i] = distance_row(xi, centroids + c * d, d);
    total += dist2[i];
    if (sums) add_rounded_row(sums + c * d, xi, scale, d);
  }
  return total;
}

DotKernel best_dot_kernel() {
  static const Kernel chosen = [] {
    const char* want = std::getenv("CLUSTERPROBE_KERNEL");
    const std::string w = want ? want : "";
    if (w != "eigen" && w != "avx2" && __builtin_cpu_supports("avx512f")) return Kernel::avx512;
    if (w != "eigen" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Kernel::avx2;
    return Kernel::eigen;
  }();
  return chosen;
}

std::string dot_kernel_name(DotKernel kernel) {
  switch (kernel) {
    case Kernel::avx512: return "avx512";
    case Kernel::avx2: return "avx2";
    default: return "eigen";
  }
}

DotPanel::DotPanel(const RowMatrixXf& centroids, DotKernel kernel) : kernel_(kernel), k_(centroids.rows()) {
  // A few centroids: their dots along the rows (small_dots), the scores
  // padded to one ymm register for the nearest-centroid pass.
  small_ = kernel_ != Kernel::eigen && k_ <= kSmallK;
  small_wide_ = small_ && kernel_ == Kernel::avx512;
  if (small_) kernel_ = Kernel::avx2;
  const Index w = width(kernel_);
  padded_ = (k_ + w - 1) / w * w;
  norm2_ = Eigen::VectorXf::Constant(padded_, std::numeric_limits<float>::infinity());
  norm2_.head(k_) = centroids.rowwise().squaredNorm();
  if (kernel_ == Kernel::eigen || small_) {
    centroids_ = centroids;
    return;
  }
  panel_ = RowMatrixXf::Zero(centroids.cols(), padded_);
  panel_.leftCols(k_) = centroids.transpose();
}

void DotPanel::dots(const RowMatrixXf& rows, RowMatrixXf& out) const {
  if (kernel_ == Kernel::eigen) {
    out.resize(rows.rows(), padded_);
    out.noalias() = rows * centroids_.transpose();
    return;
  }
  dots(rows.data(), rows.rows(), rows.cols(), out);
}

void DotPanel::dots(const float* rows, Index count, Index d, RowMatrixXf& out) const {
  out.resize(count, padded_);
  if (small_) {
    if (small_wide_) {
      avx512::small_dots(rows, count, d, centroids_.data(), k_, padded_, out.data());
    } else {
      avx2::small_dots(rows, count, d, centroids_.data(), k_, padded_, out.data());
    }
  } else if (kernel_ == Kernel::avx512) {
    avx512::dots(rows, count, d, d, panel_.data(), padded_, out.data());
  } else {
    CP_ASSERT(kernel_ == Kernel::avx2, "DotPanel::dots on raw rows needs a vector kernel");
    avx2::dots(rows, count, d, d, panel_.data(), padded_, out.data());
  }
}

void DotPanel::nearest(const RowMatrixXf& g, Index first, Index rows, std::int32_t* labels) const {
  const float* rows_g = g.row(first).data();
  switch (kernel_) {
    case Kernel::avx512:
      avx512::nearest(rows_g, rows, norm2_.data(), padded_, labels);
      return;
    case Kernel::avx2:
      avx2::nearest(rows_g, rows, norm2_.data(), padded_, labels);
      return;
    case Kernel::eigen:
      for (Index i = 0; i < rows; ++i) {
        const float* gi = rows_g + i * padded_;
        float best = std::numeric_limits<float>::infinity();
        labels[i] = 0;  // also for a NaN row
        for (Index j = 0; j < k_; ++j) {
          const float s = norm2_[j] - 2.0f * gi[j];
          if (s < best) best = s, labels[i] = static_cast<std::int32_t>(j);
        }
      }
      return;
  }
}

}  // namespace cp::detail
