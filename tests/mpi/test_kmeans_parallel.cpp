// ranks: 2 4
// kmeans_parallel against serial kmeans on the gathered rows: every rank
// generates the same full data set, clusters it serially, and compares with
// the parallel result on its own slice, for even and uneven splits, including
// ranks without rows. Equal means: the same labels and iterations, centroids
// to 1e-5 (relative to their scale) and inertia to 1e-6 relative.
#include <gtest/gtest.h>
#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/cluster/kmeans_parallel.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace {

using cp::RowMatrixXf;
using Labels = std::vector<std::int32_t>;

int rank() { return cp::comm_rank(MPI_COMM_WORLD); }
int size() { return cp::comm_size(MPI_COMM_WORLD); }

/// `k` Gaussian blobs of unequal sizes, shifted by `offset`, rows shuffled.
RowMatrixXf blobs(int n, int dim, int k, float spread, float offset, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf centres(k, dim);
  for (int c = 0; c < k; ++c)
    for (int j = 0; j < dim; ++j) centres(c, j) = offset + spread * normal(rng);
  RowMatrixXf X(n, dim);
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>((static_cast<std::uint64_t>(i) * 2654435761u) % (k + 2)) % k;
    for (int j = 0; j < dim; ++j) X(i, j) = centres(c, j) + normal(rng);
  }
  return X;
}

/// Row counts per rank that sum to n. "even", "first-empty" (rank 0 holds no
/// rows, the others uneven), "one-holds-all" (the last rank), "skewed"
/// (rank r holds a share ~ (r + 1)^2, so block boundaries fall mid-rank).
std::vector<int> split(const std::string& how, int n, int p) {
  std::vector<int> counts(p, 0);
  if (how == "even") {
    for (int r = 0; r < p; ++r) counts[r] = n / p + (r < n % p ? 1 : 0);
  } else if (how == "one-holds-all") {
    counts[p - 1] = n;
  } else {
    const int skip = how == "first-empty" ? 1 : 0;
    int weight = 0;
    for (int r = skip; r < p; ++r) weight += (r + 1) * (r + 1);
    int given = 0;
    for (int r = skip; r < p; ++r) {
      counts[r] = (r == p - 1) ? n - given : n * (r + 1) * (r + 1) / weight;
      given += counts[r];
    }
  }
  return counts;
}

struct Slice {
  int begin = 0, rows = 0;
};

Slice my_slice(const std::vector<int>& counts) {
  Slice s;
  for (int r = 0; r < rank(); ++r) s.begin += counts[r];
  s.rows = counts[rank()];
  return s;
}

void expect_same(const cp::KMeansResult& serial, const cp::KMeansResult& parallel, Slice s,
                 const std::string& what) {
  SCOPED_TRACE(what + " on rank " + std::to_string(rank()));
  ASSERT_EQ(parallel.labels.size(), static_cast<std::size_t>(s.rows));
  const Labels expected(serial.labels.begin() + s.begin, serial.labels.begin() + s.begin + s.rows);
  EXPECT_EQ(parallel.labels, expected);
  EXPECT_EQ(parallel.iterations, serial.iterations);
  EXPECT_NEAR(parallel.inertia, serial.inertia, 1e-6 * serial.inertia);
  ASSERT_EQ(parallel.centroids.rows(), serial.centroids.rows());
  ASSERT_EQ(parallel.centroids.cols(), serial.centroids.cols());
  const float scale = std::max(1.0f, serial.centroids.cwiseAbs().maxCoeff());
  EXPECT_LE((parallel.centroids - serial.centroids).cwiseAbs().maxCoeff(), 1e-5f * scale);
}

cp::KMeansParams params(int k, int restarts, std::uint64_t seed, double tol = 1e-4) {
  cp::KMeansParams p;
  p.k = k;
  p.restarts = restarts;
  p.seed = seed;
  p.tol = tol;
  return p;
}

struct Case {
  int n, dim, k;
  float spread, offset;
  int restarts;
  double tol;
};

TEST(KMeansParallel, EqualsSerialOnTheGatheredRows) {
  // Widths not a multiple of the SIMD width, n spanning several 256-row
  // blocks, overlapping blobs (many iterations), data far from the origin.
  const std::vector<Case> cases{{1500, 7, 5, 3.0f, 0.0f, 3, 1e-4},
                                {777, 33, 8, 1.0f, 1000.0f, 2, 1e-4},
                                {600, 16, 12, 0.7f, 5.0f, 1, 0.0},
                                {40, 3, 4, 4.0f, -2.0f, 4, 1e-4}};
  for (const Case& c : cases) {
    const RowMatrixXf X = blobs(c.n, c.dim, c.k, c.spread, c.offset, 17 + c.n);
    const cp::KMeansParams p = params(c.k, c.restarts, 99 + c.k, c.tol);
    const cp::KMeansResult serial = cp::kmeans(X, p);
    for (const std::string how : {"even", "first-empty", "one-holds-all", "skewed"}) {
      const Slice s = my_slice(split(how, c.n, size()));
      const RowMatrixXf local = X.middleRows(s.begin, s.rows);
      const cp::KMeansResult parallel = cp::kmeans_parallel(local, p, MPI_COMM_WORLD);
      expect_same(serial, parallel,
                  s, "n=" + std::to_string(c.n) + " k=" + std::to_string(c.k) + " split " + how);
    }
  }
}

TEST(KMeansParallel, SeedingFromASampleEqualsSerial) {
  // The sample is drawn from the global rows and gathered from the ranks
  // holding them: 333 rows, or the automatic 256 k = 768 of the 2000.
  const RowMatrixXf X = blobs(2000, 9, 3, 1.5f, 3.0f, 5);
  cp::KMeansParams p = params(3, 2, 41);
  for (const std::int64_t sample : {333, 0}) {
    p.seeding_rows = sample;
    const cp::KMeansResult serial = cp::kmeans(X, p);
    for (const std::string how : {"even", "first-empty", "skewed"}) {
      const Slice s = my_slice(split(how, 2000, size()));
      expect_same(serial, cp::kmeans_parallel(X.middleRows(s.begin, s.rows), p, MPI_COMM_WORLD), s,
                  "sample " + std::to_string(sample) + " split " + how);
    }
  }
}

TEST(KMeansParallel, FromGivenCentroidsEqualsSerialIncludingEmptyClusters) {
  const RowMatrixXf X = blobs(900, 5, 6, 4.0f, 0.0f, 5);
  // Two starting centroids far from every row: they get no rows in the first
  // step and are re-seeded from the farthest rows (the empty-cluster rule).
  RowMatrixXf init = X.topRows(6);
  init.row(2).setConstant(1e4f);
  init.row(4).setConstant(-1e4f);
  const cp::KMeansParams p = params(6, 1, 0, 0.0);
  const cp::KMeansResult serial = cp::kmeans_from(X, init, p);
  EXPECT_EQ(std::count(serial.labels.begin(), serial.labels.end(), 2) > 0, true);
  for (const std::string how : {"even", "first-empty", "skewed"}) {
    const Slice s = my_slice(split(how, 900, size()));
    const cp::KMeansResult parallel =
        cp::kmeans_parallel_from(X.middleRows(s.begin, s.rows), init, p, MPI_COMM_WORLD);
    expect_same(serial, parallel, s, "from, split " + how);
  }
}

TEST(KMeansParallel, RankWithoutRowsMayPassAnyWidth) {
  const RowMatrixXf X = blobs(300, 4, 3, 5.0f, 0.0f, 8);
  const cp::KMeansParams p = params(3, 2, 4);
  const cp::KMeansResult serial = cp::kmeans(X, p);
  const Slice s = my_slice(split("first-empty", 300, size()));
  const RowMatrixXf local = s.rows == 0 ? RowMatrixXf() : RowMatrixXf(X.middleRows(s.begin, s.rows));
  expect_same(serial, cp::kmeans_parallel(local, p, MPI_COMM_WORLD), s, "0x0 on the empty rank");
}

/// Runs f and reports whether it threw cp::InternalError.
bool throws_internal(const std::function<void()>& f) {
  try {
    f();
  } catch (const cp::InternalError&) {
    return true;
  }
  return false;
}

TEST(KMeansParallel, InvalidInputThrowsOnEveryRankTogether) {
  const RowMatrixXf X = blobs(20, 3, 2, 5.0f, 0.0f, 3);
  const Slice s = my_slice(split("even", 20, size()));
  const RowMatrixXf local = X.middleRows(s.begin, s.rows);
  // k larger than all rows together.
  EXPECT_TRUE(throws_internal([&] { cp::kmeans_parallel(local, params(21, 1, 0), MPI_COMM_WORLD); }));
  // One rank disagrees on the seed.
  EXPECT_TRUE(throws_internal(
      [&] { cp::kmeans_parallel(local, params(2, 1, rank() == size() - 1 ? 7 : 0), MPI_COMM_WORLD); }));
  // NaN on one rank only.
  RowMatrixXf bad = local;
  if (rank() == size() - 1 && bad.rows() > 0) bad(0, 0) = std::nanf("");
  EXPECT_TRUE(throws_internal([&] { cp::kmeans_parallel(bad, params(2, 1, 0), MPI_COMM_WORLD); }));
  // Widths that differ between ranks holding rows.
  const RowMatrixXf wide = rank() == 0 ? RowMatrixXf(RowMatrixXf::Ones(s.rows, 4)) : local;
  EXPECT_TRUE(throws_internal([&] { cp::kmeans_parallel(wide, params(2, 1, 0), MPI_COMM_WORLD); }));
  // Initial centroids that differ between ranks.
  RowMatrixXf init = X.topRows(2);
  if (rank() == 1) init(0, 0) += 1.0f;
  EXPECT_TRUE(throws_internal(
      [&] { cp::kmeans_parallel_from(local, init, params(2, 1, 0), MPI_COMM_WORLD); }));
  // Still in step afterwards: a valid call works.
  EXPECT_EQ(cp::kmeans_parallel(local, params(2, 1, 0), MPI_COMM_WORLD).labels.size(),
            static_cast<std::size_t>(s.rows));
}

TEST(KMeansFrom, SerialConvergedCentroidsAreAFixedPointAndInputsAreChecked) {
  const RowMatrixXf X = blobs(500, 6, 4, 6.0f, 0.0f, 21);
  const cp::KMeansResult r = cp::kmeans(X, params(4, 3, 1, 0.0));
  const cp::KMeansResult again = cp::kmeans_from(X, r.centroids, params(4, 1, 0, 0.0));
  EXPECT_EQ(again.labels, r.labels);
  EXPECT_NEAR(again.inertia, r.inertia, 1e-9 * r.inertia);
  EXPECT_LE(again.iterations, 2);  // one step to confirm, one to see no decrease
  EXPECT_EQ(again.labels, cp::assign_nearest(X, again.centroids));
  EXPECT_THROW(cp::kmeans_from(X, RowMatrixXf::Zero(4, 5), params(4, 1, 0)), cp::InternalError);
  EXPECT_THROW(cp::kmeans_from(X.topRows(3), X.topRows(4), params(4, 1, 0)), cp::InternalError);
  RowMatrixXf nan_init = r.centroids;
  nan_init(1, 1) = std::nanf("");
  EXPECT_THROW(cp::kmeans_from(X, nan_init, params(4, 1, 0)), cp::InternalError);
}

TEST(KMeansFrom, ResultDoesNotDependOnTheThreadCount) {
  // Bit-identical results with 1 and 2 threads: many rows (our threaded
  // loops), and few but wide rows (none of ours; Eigen would thread each GEMM
  // itself, with another rounding, were it not held to one thread).
  const int before = omp_get_max_threads();
  for (const auto& [rows, dim] : {std::pair<int, int>{4000, 64}, {400, 600}}) {
    const RowMatrixXf X = blobs(rows, dim, 8, 1.0f, 3.0f, 31);
    omp_set_num_threads(1);
    const cp::KMeansResult one = cp::kmeans(X, params(8, 2, 5));
    omp_set_num_threads(2);
    const cp::KMeansResult two = cp::kmeans(X, params(8, 2, 5));
    SCOPED_TRACE(std::to_string(rows) + " x " + std::to_string(dim));
    EXPECT_EQ(one.labels, two.labels);
    EXPECT_EQ(one.iterations, two.iterations);
    EXPECT_EQ(one.inertia, two.inertia);
    EXPECT_TRUE(one.centroids == two.centroids);
  }
  omp_set_num_threads(before);
}

}  // namespace
