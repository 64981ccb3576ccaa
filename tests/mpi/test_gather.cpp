// ranks: 2 4
// comm/mpi helpers under mpiexec: record batches gathered on a root, byte
// broadcasts, and the agreement helpers every collective code path relies on.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>
#include <functional>
#include <new>
#include <typeinfo>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/record.hpp"

namespace {

int rank() { return cp::comm_rank(MPI_COMM_WORLD); }
int size() { return cp::comm_size(MPI_COMM_WORLD); }

/// Rank r contributes (2r) % 5 metrics and r assignments of 10r rows, so
/// sizes differ and rank 0 sends an empty batch.
cp::RecordBatch batch_of(int r) {
  cp::RecordBatch b;
  for (int i = 0; i < (2 * r) % 5; ++i)
    b.metrics.push_back({"run" + std::to_string(r), "fc", i, std::to_string(i), "kmeans", "ami",
                         r + i / 10.0});
  for (int i = 0; i < r; ++i) {
    cp::AssignmentRecord a{"run" + std::to_string(r), "layer" + std::to_string(i), r, "global",
                           "kmeans", {}, {}};
    for (int k = 0; k < 10 * r; ++k) {
      a.rows.push_back(k * r);
      a.labels.push_back(k % (i + 2));
    }
    b.assignments.push_back(a);
  }
  return b;
}

void expect_batch_of(int r, const cp::RecordBatch& got) {
  const cp::RecordBatch want = batch_of(r);
  ASSERT_EQ(got.metrics.size(), want.metrics.size()) << "rank " << r;
  for (size_t i = 0; i < want.metrics.size(); ++i) {
    EXPECT_EQ(got.metrics[i].run_id, want.metrics[i].run_id);
    EXPECT_EQ(got.metrics[i].epoch, want.metrics[i].epoch);
    EXPECT_EQ(got.metrics[i].scope, want.metrics[i].scope);
    EXPECT_EQ(got.metrics[i].value, want.metrics[i].value);
  }
  ASSERT_EQ(got.assignments.size(), want.assignments.size()) << "rank " << r;
  for (size_t i = 0; i < want.assignments.size(); ++i) {
    EXPECT_EQ(got.assignments[i].layer, want.assignments[i].layer);
    EXPECT_EQ(got.assignments[i].rows, want.assignments[i].rows);
    EXPECT_EQ(got.assignments[i].labels, want.assignments[i].labels);
  }
}

TEST(Gather, RecordBatchesOfDifferentSizesReachTheRoot) {
  for (int root : {0, size() - 1}) {
    const auto gathered = cp::gather_bytes(cp::serialize_batch(batch_of(rank())), MPI_COMM_WORLD,
                                           root);
    if (rank() != root) {
      EXPECT_TRUE(gathered.empty());
      continue;
    }
    ASSERT_EQ(static_cast<int>(gathered.size()), size());
    cp::RecordBatch all;
    for (int r = 0; r < size(); ++r) {
      cp::RecordBatch one = cp::deserialize_batch(gathered[r]);
      expect_batch_of(r, one);
      all.append(std::move(one));
    }
    size_t metrics = 0;
    for (int r = 0; r < size(); ++r) metrics += static_cast<size_t>((2 * r) % 5);
    EXPECT_EQ(all.metrics.size(), metrics);
  }
}

TEST(Gather, EmptyPayloadsFromEveryRank) {
  const auto gathered = cp::gather_bytes("", MPI_COMM_WORLD);
  if (rank() == 0) {
    ASSERT_EQ(static_cast<int>(gathered.size()), size());
    for (const auto& g : gathered) EXPECT_TRUE(g.empty());
  }
}

TEST(Broadcast, BinaryBytesFromAnyRoot) {
  const int root = size() - 1;
  std::string bytes;
  if (rank() == root)
    for (int i = 0; i < 70000; ++i) bytes.push_back(static_cast<char>(i % 256));  // with NULs
  const std::string got = cp::broadcast_bytes(bytes, MPI_COMM_WORLD, root);
  ASSERT_EQ(got.size(), 70000u);
  for (int i = 0; i < 70000; ++i) ASSERT_EQ(got[i], static_cast<char>(i % 256));
  EXPECT_EQ(cp::broadcast_bytes(rank() == 0 ? "" : "ignored", MPI_COMM_WORLD), "");
}

TEST(Agreement, AnyOf) {
  EXPECT_TRUE(cp::any_of(rank() == size() - 1, MPI_COMM_WORLD));
  EXPECT_TRUE(cp::any_of(true, MPI_COMM_WORLD));
  EXPECT_FALSE(cp::any_of(false, MPI_COMM_WORLD));
}

// What one rank threw, every rank throws: same type, same message, marked agreed.
template <class Expected>
void expect_agreed(const std::function<void()>& work, const std::string& message) {
  try {
    cp::collective(MPI_COMM_WORLD, work);
    ADD_FAILURE() << "rank " << rank() << ": nothing thrown";
  } catch (const Expected& e) {
    EXPECT_TRUE(e.agreed()) << "rank " << rank();
    EXPECT_EQ(e.what(), message) << "rank " << rank();
    EXPECT_EQ(typeid(e), typeid(Expected)) << "rank " << rank() << ": " << typeid(e).name();
  } catch (const std::exception& e) {
    ADD_FAILURE() << "rank " << rank() << ": wrong type " << typeid(e).name() << ": " << e.what();
  }
}

TEST(Agreement, NothingFailedNothingThrown) {
  int ran = 0;
  EXPECT_NO_THROW(cp::collective(MPI_COMM_WORLD, [&] { ++ran; }));
  EXPECT_EQ(ran, 1);
  EXPECT_NO_THROW(cp::agree(cp::ErrorKind::io, "", MPI_COMM_WORLD));
}

TEST(Agreement, TheLowestFailingRanksKindAndMessageReachEveryRank) {
  // Rank 0 fails alone after the others are done: the rank-0 tail of a stage.
  expect_agreed<cp::IoError>([] { if (rank() == 0) throw cp::IoError("disk full"); }, "disk full");
  // Several ranks fail with different kinds: the lowest failing rank wins.
  expect_agreed<cp::InputError>(
      [] {
        if (rank() == 1) throw cp::InputError("rank 1 input");
        if (rank() >= 2) throw cp::ConfigError("later rank");
      },
      "rank 1 input");
  expect_agreed<cp::ConfigError>([] { if (rank() == size() - 1) throw cp::ConfigError("last"); },
                                 "last");
}

TEST(Agreement, ForeignExceptionsKeepTheirMeaning) {
  expect_agreed<cp::IoError>(
      [] {
        if (rank() == size() - 1)
          throw std::filesystem::filesystem_error("cannot create", "/x/y",
                                                  std::make_error_code(std::errc::read_only_file_system));
      },
      std::filesystem::filesystem_error("cannot create", "/x/y",
                                        std::make_error_code(std::errc::read_only_file_system))
          .what());
  expect_agreed<cp::InternalError>([] { if (rank() == 0) throw std::bad_alloc(); },
                                   std::string("out of memory (") + std::bad_alloc().what() + ")");
  expect_agreed<cp::InternalError>([] { if (rank() == 1) throw 42; }, "unknown exception");
}

TEST(Agreement, ExitCodesFollowTheKind) {
  EXPECT_EQ(cp::ConfigError("x").exit_code(), 2);
  EXPECT_EQ(cp::InputError("x").exit_code(), 3);
  EXPECT_EQ(cp::IoError("x").exit_code(), 4);
  EXPECT_EQ(cp::InternalError("x").exit_code(), 1);
  EXPECT_FALSE(cp::IoError("x").agreed());
}

TEST(Environment, NestedEnvironmentKeepsMpiAliveAndReturnsErrors) {
  {
    cp::MpiEnvironment env(nullptr, nullptr);  // MPI already initialised by the test main
  }
  int finalized = 1;
  MPI_Finalized(&finalized);
  EXPECT_EQ(finalized, 0);
  MPI_Errhandler handler;
  MPI_Comm_get_errhandler(MPI_COMM_WORLD, &handler);
  EXPECT_EQ(handler, MPI_ERRORS_RETURN);
  // With MPI_ERRORS_RETURN an invalid root comes back as a code, and check_mpi names the call.
  int x = 0;
  try {
    cp::check_mpi(MPI_Bcast(&x, 1, MPI_INT, size() + 3, MPI_COMM_WORLD), "MPI_Bcast");
    ADD_FAILURE() << "no error";
  } catch (const cp::IoError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("MPI_Bcast: ", 0), 0u) << e.what();
  }
  EXPECT_EQ(cp::comm_size(MPI_COMM_WORLD), size());
}

}  // namespace
