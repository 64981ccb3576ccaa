// ETAs in progress lines: none from a first step (issue 21: "ETA 41m00s" at
// step 1 of a long study), the measured rate once enough work is measured.
#include <gtest/gtest.h>

#include "clusterprobe/common/eta.hpp"

namespace {

using cp::eta_seconds;
using cp::live_eta_seconds;

TEST(Eta, RateTimesRemainingOverWorkers) {
  EXPECT_DOUBLE_EQ(eta_seconds(10, 20, 30, 1), 60);
  EXPECT_DOUBLE_EQ(eta_seconds(10, 20, 30, 2), 30);
  EXPECT_DOUBLE_EQ(eta_seconds(10, 20, 0, 1), 0);
  EXPECT_LT(eta_seconds(0, 20, 30, 1), 0);
  EXPECT_LT(eta_seconds(10, 20, 30, 0), 0);
}

TEST(Eta, NoneFromOneStep) {
  // One step of 469 x 30 took 0.5 s: no ETA, however it would extrapolate.
  const double total = 469.0 * 30;
  EXPECT_LT(live_eta_seconds(1, 0.5, total - 1, 1), 0);
  // A slow first step (20 s, past the minimum time) is still too small a share.
  EXPECT_LT(live_eta_seconds(1, 20, total - 1, 1), 0);
  // Enough time but not enough work, enough work but not enough time.
  EXPECT_LT(live_eta_seconds(0.005 * total, 60, 0.995 * total, 1), 0);
  EXPECT_LT(live_eta_seconds(0.5 * total, cp::kEtaMinSeconds / 2, 0.5 * total, 1), 0);
}

TEST(Eta, MeasuredOnceEnoughIsDone) {
  EXPECT_DOUBLE_EQ(live_eta_seconds(50, 100, 50, 1), 100);
  EXPECT_DOUBLE_EQ(live_eta_seconds(50, 100, 50, 4), 25);
  EXPECT_DOUBLE_EQ(live_eta_seconds(2, cp::kEtaMinSeconds, 98, 1), 490);
}

TEST(Eta, NothingLeftIsZeroEvenUnmeasured) {
  EXPECT_DOUBLE_EQ(live_eta_seconds(0, 0, 0, 1), 0);
  EXPECT_DOUBLE_EQ(live_eta_seconds(1, 0.1, 0, 1), 0);
}

TEST(Eta, DurationText) {
  EXPECT_EQ(cp::duration_text(-1), "?");
  EXPECT_EQ(cp::duration_text(35), "35s");
  EXPECT_EQ(cp::duration_text(250), "4m10s");
  EXPECT_EQ(cp::duration_text(7500), "2h05m");
}

}  // namespace
