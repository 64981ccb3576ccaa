#pragma once
// Row-major float matrices: one sample per row, as stored in HDF5.
#include <Eigen/Core>

namespace cp {
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
}  // namespace cp
