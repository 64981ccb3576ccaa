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

Eigen::RowVectorXd column_means(const RowMatrixXf& X, const RowHolders& holders) {
  Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(X.cols());
  for (Eigen::Index i = 0; i < X.rows(); ++i) sum += X.row(i).cast<double>();
  holders.add(sum.data(), static_cast<std::size_t>(sum.size()));
  return sum / static_cast<double>(holders.rows(X.rows()));
}

}  // namespace cp
