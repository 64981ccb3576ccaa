#pragma once
// Private to src/cluster: the row-block layout shared by the Lloyd steps
// (lloyd.cpp) and the k-means++ seeding (lloyd_seed.cpp); see lloyd.cpp for
// why blocks lie on the global row grid and why Eigen runs on one thread.
#include <algorithm>
#include <cstdint>
#include <random>

#include "clusterprobe/common/matrix.hpp"
#include "lloyd.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace cp::detail {

using Index = Eigen::Index;
inline constexpr Index kRowBlock = 256;  // rows per GEMM block: ~0.5 MB of floats at d = 512

/// Threads only pay off on large inputs: on a loaded machine every parallel
/// region of a small problem costs more in barriers than it saves.
inline bool worth_threads(Index n, Index work_per_row) {
  return n >= 2 * kRowBlock && n * work_per_row >= (Index{1} << 20);
}

/// First statement of every parallel region that runs a GEMM: nested regions
/// started by this thread (Eigen's GEMM threading) get one thread. The setting
/// belongs to the region's implicit task and ends with it.
inline void eigen_on_one_thread() {
#ifdef _OPENMP
  omp_set_num_threads(1);
#endif
}

/// Uniform double in [0, 1) from the raw generator: std::uniform_real_distribution
/// is implementation-defined, and seeds must give the same clustering everywhere.
inline double uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

/// This part's rows cut along the global grid of kRowBlock-row blocks.
class BlockGrid {
 public:
  BlockGrid(Index first_row, Index rows)
      : first_(first_row), rows_(rows), first_block_(first_row / kRowBlock),
        blocks_(rows == 0 ? 0 : (first_row + rows - 1) / kRowBlock - first_block_ + 1) {}
  Index blocks() const { return blocks_; }
  /// Local rows [begin(b), end(b)) fall in block b ...
  Index begin(Index b) const { return std::max(first_, (first_block_ + b) * kRowBlock) - first_; }
  Index end(Index b) const {
    return std::min(first_ + rows_, (first_block_ + b + 1) * kRowBlock) - first_;
  }
  /// ... where begin(b) takes slot(b) of the padded block.
  Index slot(Index b) const { return first_ + begin(b) - (first_block_ + b) * kRowBlock; }

 private:
  Index first_, rows_, first_block_, blocks_;
};

/// Rows [r0, r0 + rows) of X, centred, into slots [slot, slot + rows) of the
/// kRowBlock-row buffer xb, whose other slots are zero.
inline void load_block(const RowMatrixXf& X, const Eigen::RowVectorXf& mean, Index r0, Index rows,
                       Index slot, RowMatrixXf& xb) {
  if (xb.rows() != kRowBlock || xb.cols() != X.cols()) {
    xb.setZero(kRowBlock, X.cols());
  } else {
    xb.topRows(slot).setZero();
    xb.bottomRows(kRowBlock - slot - rows).setZero();
  }
  xb.middleRows(slot, rows) = X.middleRows(r0, rows).rowwise() - mean;
}

/// Collective over the partition. Greedy k-means++ (lloyd_seed.cpp): k
/// centroids, drawn from `rng`, which must be in the same state on every part.
/// x_norm2 holds the squared norms of this part's centred rows; `centred`
/// (optional) the rows themselves, X - mean.
RowMatrixXf seed_plus_plus(const RowMatrixXf& X, const BlockGrid& grid,
                           const Eigen::RowVectorXf& mean, const Eigen::VectorXf& x_norm2, int k,
                           std::mt19937_64& rng, RowPartition& part, const RowMatrixXf* centred = nullptr);

}  // namespace cp::detail
