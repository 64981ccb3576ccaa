#pragma once
// Private to src/cluster: the one Lloyd k-means engine behind kmeans(),
// kmeans_from(), kmeans_parallel() and kmeans_parallel_from().
//
// The engine sees only its own rows and a RowPartition that knows where they
// sit among all rows and performs the few cross-part reductions (sums,
// minima, the farthest row, fetching one row). The serial partition does
// nothing; the MPI one talks to the other ranks. Because every per-row
// computation is laid out on the *global* row numbering (see lloyd.cpp), a
// row gets the same bits whichever part holds it, and the serial and MPI
// results differ only by the rounding of the reduced sums.
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/cluster/kmeans.hpp"

namespace cp::detail {

/// Candidate row for re-seeding an empty cluster: the largest squared
/// distance wins, ties go to the smaller global row; index < 0 is "none".
struct Farthest {
  double dist2 = -1.0;
  std::int64_t index = -1;
  std::int32_t label = -1;  ///< the cluster the row leaves
};

/// True when a beats b under that rule (a total order, so every rank that
/// folds the same candidates picks the same winner).
inline bool beats(const Farthest& a, const Farthest& b) {
  if (a.index < 0) return false;
  if (b.index < 0) return true;
  return a.dist2 > b.dist2 || (a.dist2 == b.dist2 && a.index < b.index);
}

/// Where this part's rows sit among all rows, and the reductions over parts.
/// Every reduction must return identical bits on every part: the engine takes
/// its decisions (stopping, restarts, seeding draws) from them.
class RowPartition {
 public:
  RowPartition(std::int64_t global_rows, std::int64_t first_row)
      : global_rows_(global_rows), first_row_(first_row) {}
  virtual ~RowPartition() = default;
  RowPartition(const RowPartition&) = delete;
  RowPartition& operator=(const RowPartition&) = delete;

  std::int64_t global_rows() const { return global_rows_; }
  /// Whether all rows are in this one part (no reductions: threads may share it).
  virtual bool serial() const { return false; }
  /// Global index of this part's row 0.
  std::int64_t first_row() const { return first_row_; }

  /// In place: the element-wise sums over all parts.
  virtual void sum(double* values, std::size_t count) = 0;
  virtual void sum(std::int64_t* values, std::size_t count) = 0;
  /// In place: the element-wise minima over all parts.
  virtual void min(std::int64_t* values, std::size_t count) = 0;
  /// Sum of `local` over the parts before this one (0 on the first part).
  virtual double prefix_sum(double local) = 0;
  /// The winner among every part's candidate, by beats().
  virtual Farthest farthest(const Farthest& local) = 0;
  /// Copies global row `row` (held by exactly one part, in `local_rows`)
  /// into `out` (cols floats) on every part, bit for bit.
  virtual void fetch_row(std::int64_t row, const RowMatrixXf& local_rows, float* out) = 0;
  /// The global rows `rows` (ascending), every part's share of them from its
  /// `local_rows`, on every part in that order.
  virtual RowMatrixXf gather_rows(const std::vector<std::int64_t>& rows, const RowMatrixXf& local_rows) = 0;

 private:
  std::int64_t global_rows_;
  std::int64_t first_row_;
};

/// All rows in one part: every reduction is the identity.
class SerialPartition final : public RowPartition {
 public:
  explicit SerialPartition(std::int64_t rows) : RowPartition(rows, 0) {}
  bool serial() const override { return true; }
  void sum(double*, std::size_t) override {}
  void sum(std::int64_t*, std::size_t) override {}
  void min(std::int64_t*, std::size_t) override {}
  double prefix_sum(double) override { return 0.0; }
  Farthest farthest(const Farthest& local) override { return local; }
  void fetch_row(std::int64_t row, const RowMatrixXf& local_rows, float* out) override;
  RowMatrixXf gather_rows(const std::vector<std::int64_t>& rows, const RowMatrixXf& local_rows) override;
};

/// Local. Why `params` (and `initial`, when given) cannot be clustered with
/// `local_rows` among `part.global_rows()` rows of `cols` columns, or "" if
/// they can. Checks this part's rows only (finite values, width), so the MPI
/// caller agrees on the answer before anything collective starts.
std::string lloyd_input_error(const RowMatrixXf& local_rows, Eigen::Index cols,
                              const KMeansParams& params, const RowMatrixXf* initial,
                              std::int64_t global_rows);

/// Collective over the partition (Local for SerialPartition). Lloyd from
/// `*initial` (one run; params.k, restarts and seed unused) or, when initial
/// is null, from params.restarts greedy k-means++ seedings (the best inertia
/// is kept). The inputs must have passed lloyd_input_error on every part.
KMeansResult run_lloyd(const RowMatrixXf& local_rows, const KMeansParams& params,
                       const RowMatrixXf* initial, RowPartition& part);

/// Local. run_lloyd of each X[i] with params[i] (no initial centroids), all
/// in one part: every restart of every problem drawn from one pool of the
/// threads, so that a few restarts each do not leave threads idle. The same
/// results as one call each. The inputs must have passed lloyd_input_error.
std::vector<KMeansResult> run_lloyd_each(const std::vector<const RowMatrixXf*>& X,
                                         const std::vector<KMeansParams>& params);

/// Local. Nearest centroid of each row (the engine's assignment step).
std::vector<std::int32_t> nearest_centroids(const RowMatrixXf& X, const RowMatrixXf& centroids);

}  // namespace cp::detail
