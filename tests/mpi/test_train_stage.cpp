// ranks: 2 4
// The train stage with groups of 2 ranks: a run that throws inside training
// on one rank of its group (BatchNorm on a 1-sample shard) or diverges (NaN
// loss) is recorded as failed with its reason in study.h5, and the study
// goes on with the other runs; nobody deadlocks.
#include <gtest/gtest.h>
#include <mpi.h>

#include <filesystem>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "../support/group_scratch.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

using test::GroupScratch;

// 9 classes x 57 = 513 training samples, global batch 32: the last batch holds
// one sample, which lands on the group's second rank. BatchNorm cannot
// normalise one value per channel, so that rank throws while its partner
// (empty shard) does not: the failure must reach both through the step's
// all-reduce. Without BatchNorm the run trains normally.
StudyConfig study(const std::string& out, const std::string& extra) {
  return parse_study("study: failures\noutput: " + out +
                         "\ngrid: {dataset: [synthetic/gmm], architecture: [mlp], "
                         "normalization: [batch, none], seed: [0]}\n"
                         "train: {epochs: 1, batch_size: 32, threads: 1" + extra + "}\n"
                         "extract: {max_samples: 90}\n"
                         "data: {synthetic: {train_per_fine: 57, test_per_fine: 10}}\n"
                         "parallel: {ranks_per_run: 2}\n",
                     "test_train_stage");
}

TEST(TrainStage, AFailingRunIsRecordedAndTheStudyGoesOn) {
  const GroupScratch scratch(MPI_COMM_WORLD, "stage-throw");
  const auto out = scratch.string();
  const auto s = study(out, "");
  ASSERT_NO_THROW(train_stage(cp::make_plan(s), MPI_COMM_WORLD));
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    const auto runs = read_study_index(out + "/study.h5");
    ASSERT_EQ(runs.size(), 2u);
    for (const auto& r : runs) {
      if (r.normalization == "batch") {
        EXPECT_EQ(r.status, RunPhase::failed);
        EXPECT_NE(r.message.find("Expected more than 1 value per channel"), std::string::npos)
            << r.message;
      } else {
        EXPECT_EQ(r.status, RunPhase::complete) << r.message;
        EXPECT_TRUE(fs::exists(OutputLayout(s.output).run(r.id).activations()));
      }
    }
  }
}

TEST(TrainStage, DivergedRunsAreResultsNotCrashes) {
  const GroupScratch scratch(MPI_COMM_WORLD, "stage-nan");
  const auto out = scratch.string();
  const auto s = study(out, ", lr: 1.0e+12, momentum: 0.0");
  ASSERT_NO_THROW(train_stage(cp::make_plan(s), MPI_COMM_WORLD));
  if (comm_rank(MPI_COMM_WORLD) == 0) {
    for (const auto& r : read_study_index(out + "/study.h5")) {
      EXPECT_EQ(r.status, RunPhase::failed) << r.id;
      EXPECT_TRUE(r.message.find("diverged") != std::string::npos ||
                  r.message.find("Expected more than 1 value") != std::string::npos)
          << r.message;
      EXPECT_FALSE(fs::exists(OutputLayout(s.output).run(r.id).activations()));
    }
  }
}

}  // namespace
}  // namespace cp
