#include "clusterprobe/common/matrix.hpp"

#include <cfloat>
#include <cmath>

namespace cp {

__attribute__((target_clones("avx512f", "avx2", "default"))) bool all_finite(const float* values,
                                                                             std::size_t count) {
  // No early exit, so the loop vectorises: |x| <= FLT_MAX fails for NaN and infinity.
  unsigned bad = 0;
  for (std::size_t i = 0; i < count; ++i) bad |= !(std::fabs(values[i]) <= FLT_MAX);
  return bad == 0;
}

}  // namespace cp
