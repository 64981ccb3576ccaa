// ranks: 2 4
// ActivationWriter across ranks: disjoint, uneven row ranges (one rank owns no
// rows) written collectively through MPI-IO, then read back serially on every rank.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "../support/group_scratch.hpp"

namespace fs = std::filesystem;

namespace {

using cp::test::GroupScratch;

/// Rows per rank: uneven, and rank 1 owns none (a straggler shard of size 0).
std::vector<std::int64_t> row_counts(int size) {
  std::vector<std::int64_t> counts(size);
  for (int r = 0; r < size; ++r) counts[r] = r == 1 ? 0 : 3 + 2 * r;
  return counts;
}

float value_at(std::int64_t row, std::int64_t col, int epoch) {
  return static_cast<float>(row) * 100.0f + static_cast<float>(col) + 0.5f * epoch;
}

struct Shard {
  std::int64_t total = 0, offset = 0, n = 0;
};

Shard my_shard(MPI_Comm comm) {
  const auto counts = row_counts(cp::comm_size(comm));
  Shard s;
  const int rank = cp::comm_rank(comm);
  for (int r = 0; r < static_cast<int>(counts.size()); ++r) {
    if (r < rank) s.offset += counts[r];
    s.total += counts[r];
  }
  s.n = counts[rank];
  return s;
}

/// Collective over comm. Writes labels and two epochs; the wide layer goes in
/// two batches per rank, as batched extraction does.
void write_shard(cp::ActivationWriter& w, const Shard& s) {
  std::vector<std::int32_t> fine, coarse;
  std::vector<std::int64_t> index;
  for (std::int64_t r = s.offset; r < s.offset + s.n; ++r) {
    fine.push_back(static_cast<std::int32_t>(r % 10));
    coarse.push_back(static_cast<std::int32_t>(r % 10 / 2));
    index.push_back(1000 + r);
  }
  w.write_labels(s.offset, s.n, fine.data(), coarse.data(), index.data());
  w.write_predicted_coarse(s.offset, s.n, coarse.data());
  for (const auto& [epoch, layer, dim] :
       {std::tuple{1, std::string("conv"), std::int64_t{4}}, {5, std::string("fc"), 33}}) {
    std::vector<float> rows;
    for (std::int64_t r = s.offset; r < s.offset + s.n; ++r)
      for (std::int64_t c = 0; c < dim; ++c) rows.push_back(value_at(r, c, epoch));
    const std::int64_t half = s.n / 2;
    w.write_layer(epoch, layer, dim, s.offset, half, rows.data());
    w.write_layer(epoch, layer, dim, s.offset + half, s.n - half, rows.data() + half * dim);
  }
}

void check_file(const std::string& path, std::int64_t total) {
  cp::ActivationFile f(path);
  EXPECT_TRUE(f.complete());
  ASSERT_EQ(f.rows(), total);
  for (std::int64_t r = 0; r < total; ++r) {
    EXPECT_EQ(f.fine()[r], r % 10);
    EXPECT_EQ(f.coarse()[r], r % 10 / 2);
    EXPECT_EQ(f.index()[r], 1000 + r);
    EXPECT_EQ((*f.predicted_coarse())[r], r % 10 / 2);
  }
  ASSERT_EQ(f.layers().size(), 2u);
  for (const cp::LayerKey& key : f.layers()) {
    const cp::RowMatrixXf m = f.read(key);
    ASSERT_EQ(m.rows(), total);
    int mismatches = 0;
    for (std::int64_t r = 0; r < total; ++r)
      for (std::int64_t c = 0; c < key.dim; ++c) mismatches += m(r, c) != value_at(r, c, key.epoch);
    EXPECT_EQ(mismatches, 0) << key.layer;
  }
  EXPECT_EQ(f.string_attr("run_id"), "par");
  EXPECT_EQ(f.number_attr("coarse_test_accuracy"), 0.625);
}

cp::ActivationMeta meta() {
  cp::ActivationMeta m;
  m.run_id = "par";
  m.config_yaml = "parallel: {ranks_per_run: 2}\n";
  return m;
}

TEST(ParallelH5, DisjointUnevenRowRangesRoundTrip) {
  const GroupScratch scratch(MPI_COMM_WORLD, "ph5-uneven");
  const std::string dir = scratch.string();
  const std::string path = dir + "/runs/r1/activations.h5";
  const Shard s = my_shard(MPI_COMM_WORLD);
  {
    cp::ActivationWriter w(path, MPI_COMM_WORLD, meta(), s.total);
    write_shard(w, s);
    w.set_number_attr("coarse_test_accuracy", 0.625);
    w.commit();
  }
  // commit() returns only after the rename, so every rank sees the final file.
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  check_file(path, s.total);
}

TEST(ParallelH5, UncommittedWriterLeavesIncompleteTmp) {
  const GroupScratch scratch(MPI_COMM_WORLD, "ph5-uncommitted");
  const std::string dir = scratch.string();
  const std::string path = dir + "/activations.h5";
  const Shard s = my_shard(MPI_COMM_WORLD);
  {
    cp::ActivationWriter w(path, MPI_COMM_WORLD, meta(), s.total);
    write_shard(w, s);
  }
  cp::check_mpi(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier");
  EXPECT_FALSE(fs::exists(path));
  EXPECT_FALSE(cp::ActivationFile(path + ".tmp").complete());
}

TEST(ParallelH5, BadRowRangeOnOneRankFailsOnEveryRank) {
  const GroupScratch scratch(MPI_COMM_WORLD, "ph5-bad");
  const std::string dir = scratch.string();
  const std::string path = dir + "/activations.h5";
  const Shard s = my_shard(MPI_COMM_WORLD);
  const int size = cp::comm_size(MPI_COMM_WORLD);
  cp::ActivationWriter w(path, MPI_COMM_WORLD, meta(), s.total);
  const std::vector<float> rows(static_cast<size_t>(s.total) * 4, 1.0f);
  // Only the last rank is wrong; all must throw the same error instead of hanging.
  const std::int64_t offset = cp::comm_rank(MPI_COMM_WORLD) == size - 1 ? s.total + 1 : s.offset;
  try {
    w.write_layer(1, "conv", 4, offset, s.n, rows.data());
    ADD_FAILURE() << "no error";
  } catch (const cp::InternalError& e) {
    EXPECT_NE(std::string(e.what()).find("rank " + std::to_string(size - 1) + ": rows"),
              std::string::npos) << e.what();
  }
  // Disagreeing on the dimension is caught before HDF5 sees it.
  EXPECT_THROW(w.write_layer(1, "conv", 4 + cp::comm_rank(MPI_COMM_WORLD), s.offset, s.n,
                             rows.data()),
               cp::InternalError);
  write_shard(w, s);  // still usable afterwards
  w.set_number_attr("coarse_test_accuracy", 0.625);
  w.commit();
  check_file(path, s.total);
}

TEST(ParallelH5, RankGroupsWriteTheirOwnFilesConcurrently) {
  const GroupScratch scratch(MPI_COMM_WORLD, "ph5-groups");
  const std::string dir = scratch.string();
  const int rank = cp::comm_rank(MPI_COMM_WORLD);
  MPI_Comm group = MPI_COMM_NULL;
  cp::check_mpi(MPI_Comm_split(MPI_COMM_WORLD, rank / 2, rank, &group), "MPI_Comm_split");
  const std::string path = dir + "/runs/g" + std::to_string(rank / 2) + "/activations.h5";
  const Shard s = my_shard(group);
  {
    cp::ActivationWriter w(path, group, meta(), s.total);
    write_shard(w, s);
    w.set_number_attr("coarse_test_accuracy", 0.625);
    w.commit();
  }
  check_file(path, s.total);
  MPI_Comm_free(&group);
}

}  // namespace
