#pragma once
// Row-major float matrices: one sample per row, as stored in HDF5.
#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <functional>

namespace cp {
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// Whether no value is NaN or infinite. Compiled for AVX-512, AVX2 and the
/// baseline, chosen at run time: Eigen's allFinite() took 0.2 s for 30M
/// floats, as long as a k-means iteration.
bool all_finite(const float* values, std::size_t count);
inline bool all_finite(const RowMatrixXf& m) { return all_finite(m.data(), static_cast<std::size_t>(m.size())); }

/// Replaces `count` doubles with their element-wise sum over every holder of
/// rows (the same bits on each), e.g. an MPI reduction; identity for one holder.
using SumAcrossHolders = std::function<void(double* values, std::size_t count)>;

/// The rows of one matrix split over holders (ranks): each holds a block and
/// computes with its own rows; `sum` combines what the blocks contribute.
/// The default is the whole matrix in one holder. Column statistics computed
/// this way equal the one-holder ones up to the rounding of those sums.
struct RowHolders {
  std::int64_t total_rows = -1;  ///< rows of all holders together; -1: this holder's only
  SumAcrossHolders sum;          ///< empty: one holder
  bool split() const { return static_cast<bool>(sum); }
  /// The rows of all holders, given this holder's.
  std::int64_t rows(std::int64_t mine) const { return split() ? total_rows : mine; }
  void add(double* values, std::size_t count) const {
    if (sum) sum(values, count);
  }
};

/// Column means over the rows of all holders, summed in double (float sums
/// over 1e5 rows lose digits of the mean). Every holder must call it.
Eigen::RowVectorXd column_means(const RowMatrixXf& X, const RowHolders& holders = RowHolders{});
}  // namespace cp
