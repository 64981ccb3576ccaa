// kmeans_parallel: the Lloyd engine of lloyd.cpp with its rows spread over an
// MPI communicator. This file only supplies the reductions (MpiPartition) and
// the collective validation; the algorithm is the serial one.
#include "clusterprobe/cluster/kmeans_parallel.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "lloyd.hpp"

namespace cp {
namespace {

/// MPI counts are ints: longer buffers go in pieces of this many elements.
constexpr std::size_t kMaxCount = std::size_t{1} << 30;

class MpiPartition final : public detail::RowPartition {
 public:
  /// offsets[r] = global index of rank r's first row; offsets[size] = all rows.
  MpiPartition(MPI_Comm comm, int rank, std::vector<std::int64_t> offsets)
      : RowPartition(offsets.back(), offsets[rank]), comm_(comm), rank_(rank),
        offsets_(std::move(offsets)) {}

  // Every rank takes the same decisions (stopping, restarts, seeding) from these sums.
  void sum(double* values, std::size_t count) override { sum_same_bits(values, count, comm_); }
  // Integer sums and minima are exact, so one all-reduce gives every rank the same.
  void sum(std::int64_t* values, std::size_t count) override { allreduce(values, count, MPI_SUM); }
  void min(std::int64_t* values, std::size_t count) override { allreduce(values, count, MPI_MIN); }

  double prefix_sum(double local) override {
    std::vector<double> all(offsets_.size() - 1);
    check_mpi(MPI_Allgather(&local, 1, MPI_DOUBLE, all.data(), 1, MPI_DOUBLE, comm_),
              "kmeans_parallel: MPI_Allgather");
    double before = 0.0;
    for (int r = 0; r < rank_; ++r) before += all[r];
    return before;
  }

  detail::Farthest farthest(const detail::Farthest& local) override {
    // A handful of bytes per rank: gather them all and let every rank fold
    // them in rank order with the same total order.
    std::vector<detail::Farthest> all(offsets_.size() - 1);
    check_mpi(MPI_Allgather(&local, sizeof(detail::Farthest), MPI_BYTE, all.data(),
                            sizeof(detail::Farthest), MPI_BYTE, comm_),
              "kmeans_parallel: MPI_Allgather");
    detail::Farthest best;
    for (const auto& f : all) {
      if (detail::beats(f, best)) best = f;
    }
    return best;
  }

  void fetch_row(std::int64_t row, const RowMatrixXf& local_rows, float* out) override {
    // The owner is the last rank whose first row is <= row (ranks without rows share offsets).
    const int owner = static_cast<int>(
        std::upper_bound(offsets_.begin(), offsets_.end(), row) - offsets_.begin() - 1);
    if (owner == rank_) {
      Eigen::Map<Eigen::RowVectorXf>(out, local_rows.cols()) =
          local_rows.row(row - offsets_[rank_]);
    }
    check_mpi(MPI_Bcast(out, static_cast<int>(local_rows.cols()), MPI_FLOAT, owner, comm_),
              "kmeans_parallel: MPI_Bcast");
  }

  RowMatrixXf gather_rows(const std::vector<std::int64_t>& rows, const RowMatrixXf& local_rows) override {
    // Ranks hold consecutive ranges in rank order, so their shares, gathered
    // in rank order, are the rows in ascending order.
    const Eigen::Index cols = local_rows.cols();
    const auto lo = std::lower_bound(rows.begin(), rows.end(), offsets_[rank_]);
    const auto hi = std::lower_bound(lo, rows.end(), offsets_[rank_ + 1]);
    RowMatrixXf mine(hi - lo, cols);
    for (auto it = lo; it != hi; ++it) mine.row(it - lo) = local_rows.row(*it - offsets_[rank_]);
    const int size = static_cast<int>(offsets_.size()) - 1;
    std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size), 0);
    for (int r = 0; r < size; ++r) {
      const auto a = std::lower_bound(rows.begin(), rows.end(), offsets_[r]);
      const auto b = std::lower_bound(a, rows.end(), offsets_[r + 1]);
      counts[r] = static_cast<int>((b - a) * cols);  // the caller keeps a sample under 2^31 floats
      if (r > 0) displs[r] = displs[r - 1] + counts[r - 1];
    }
    RowMatrixXf all(static_cast<Eigen::Index>(rows.size()), cols);
    check_mpi(MPI_Allgatherv(mine.data(), static_cast<int>(mine.size()), MPI_FLOAT, all.data(), counts.data(),
                             displs.data(), MPI_FLOAT, comm_),
              "kmeans_parallel: MPI_Allgatherv");
    return all;
  }

 private:
  void allreduce(std::int64_t* values, std::size_t count, MPI_Op op) {
    for (std::size_t off = 0; off < count; off += kMaxCount) {
      const int n = static_cast<int>(std::min(kMaxCount, count - off));
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, values + off, n, MPI_INT64_T, op, comm_),
                "kmeans_parallel: MPI_Allreduce");
    }
  }

  MPI_Comm comm_;
  int rank_;
  std::vector<std::int64_t> offsets_;
};

/// Collective. Why this rank's params (and initial centroids) differ from
/// rank 0's, or "". Only the fields the run uses are compared.
std::string differs_from_root(const KMeansParams& params, const RowMatrixXf* initial,
                              MPI_Comm comm) {
  std::array<std::uint64_t, 5> mine{static_cast<std::uint64_t>(params.max_iter), 0, 0, 0, 0};
  std::memcpy(&mine[1], &params.tol, sizeof(double));
  if (!initial) {
    mine[2] = static_cast<std::uint64_t>(params.k);
    mine[3] = static_cast<std::uint64_t>(params.restarts);
    mine[4] = params.seed;
  }
  std::array<std::uint64_t, 5> root = mine;
  check_mpi(MPI_Bcast(root.data(), 5, MPI_UINT64_T, 0, comm), "kmeans_parallel: MPI_Bcast");
  std::string error = mine == root ? "" : "k-means parameters differ from rank 0's";
  if (!initial) return error;
  std::array<std::int64_t, 2> shape{initial->rows(), initial->cols()};
  check_mpi(MPI_Bcast(shape.data(), 2, MPI_INT64_T, 0, comm), "kmeans_parallel: MPI_Bcast");
  RowMatrixXf root_centroids(shape[0], shape[1]);  // rank 0's shape on every rank
  if (comm_rank(comm) == 0) root_centroids = *initial;
  check_mpi(MPI_Bcast(root_centroids.data(), static_cast<int>(root_centroids.size()), MPI_FLOAT, 0,
                      comm),
            "kmeans_parallel: MPI_Bcast");
  const bool same = shape[0] == initial->rows() && shape[1] == initial->cols() &&
                    std::memcmp(root_centroids.data(), initial->data(),
                                sizeof(float) * static_cast<std::size_t>(initial->size())) == 0;
  if (!same && error.empty()) error = "initial centroids differ from rank 0's";
  return error;
}

KMeansResult run(const RowMatrixXf& local_rows, const KMeansParams& params,
                 const RowMatrixXf* initial, MPI_Comm comm) {
  const int rank = comm_rank(comm);
  const int size = comm_size(comm);
  const std::array<std::int64_t, 2> mine{local_rows.rows(), local_rows.cols()};
  std::vector<std::int64_t> shapes(2 * static_cast<std::size_t>(size));
  check_mpi(MPI_Allgather(mine.data(), 2, MPI_INT64_T, shapes.data(), 2, MPI_INT64_T, comm),
            "kmeans_parallel: MPI_Allgather");
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(size) + 1, 0);
  // The width: the centroids', else the first rank with rows (the others are
  // checked against it); 0 when no rank has rows, which the k check reports.
  Eigen::Index cols = initial ? initial->cols() : -1;
  for (int r = 0; r < size; ++r) {
    offsets[r + 1] = offsets[r] + shapes[2 * r];
    if (cols < 0 && shapes[2 * r] > 0) cols = shapes[2 * r + 1];
  }
  cols = std::max<Eigen::Index>(cols, 0);
  // Validation first, identically agreed on, so that all ranks throw together.
  std::string error = detail::lloyd_input_error(local_rows, cols, params, initial, offsets.back());
  const std::string mismatch = differs_from_root(params, initial, comm);  // collective
  if (error.empty()) error = mismatch;
  agree(ErrorKind::internal,
        error.empty() ? "" : "kmeans_parallel: rank " + std::to_string(rank) + ": " + error, comm);

  RowMatrixXf reshaped;  // a rank without rows may have passed any width
  const RowMatrixXf* rows = &local_rows;
  if (local_rows.cols() != cols) {
    reshaped.resize(0, cols);
    rows = &reshaped;
  }
  MpiPartition part(comm, rank, std::move(offsets));
  return detail::run_lloyd(*rows, params, initial, part);
}

}  // namespace

KMeansResult kmeans_parallel(const RowMatrixXf& local_rows, const KMeansParams& params,
                             MPI_Comm comm) {
  return run(local_rows, params, nullptr, comm);
}

KMeansResult kmeans_parallel_from(const RowMatrixXf& local_rows,
                                  const RowMatrixXf& initial_centroids,
                                  const KMeansParams& params, MPI_Comm comm) {
  return run(local_rows, params, &initial_centroids, comm);
}

}  // namespace cp
