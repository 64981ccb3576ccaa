#pragma once
// Feature preprocessing before clustering.
#include <string>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

/// Local. Applies the named steps in order, in place: "center" (subtract the
/// column means), "l2" (scale each row to unit norm; zero rows stay zero).
/// Throws ConfigError for an unknown step.
void preprocess(RowMatrixXf& X, const std::vector<std::string>& steps);

}  // namespace cp
