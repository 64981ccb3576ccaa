// Figures that aggregate: runs of different depths meet on one grid, and a
// panel draws one line per level with its band, never one per run.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "../../src/report/panels.hpp"

namespace {

TEST(Panels, InterpolatesOntoTheSharedGrid) {
  const auto v = cp::detail::interpolate({{0.0, 1.0}, {0.5, 2.0}, {1.0, 4.0}}, {0.0, 0.25, 0.5, 0.75, 1.0});
  ASSERT_EQ(v.size(), 5u);
  EXPECT_DOUBLE_EQ(v[0], 1.0);
  EXPECT_DOUBLE_EQ(v[1], 1.5);
  EXPECT_DOUBLE_EQ(v[2], 2.0);
  EXPECT_DOUBLE_EQ(v[3], 3.0);
  EXPECT_DOUBLE_EQ(v[4], 4.0);
  // Outside the run's range (epochs it did not store): no value, not an extrapolation.
  const auto short_run = cp::detail::interpolate({{1.0, 0.5}, {2.0, 0.7}}, {0.0, 1.0, 2.0, 3.0});
  EXPECT_TRUE(std::isnan(short_run[0]));
  EXPECT_DOUBLE_EQ(short_run[1], 0.5);
  EXPECT_TRUE(std::isnan(short_run[3]));
  EXPECT_TRUE(std::isnan(cp::detail::interpolate({}, {0.5})[0]));
}

TEST(Panels, OneLinePerLevelOfEachVariedAxis) {
  std::vector<cp::detail::RunCurve> curves;
  for (int seed = 0; seed < 40; ++seed)
    for (const char* norm : {"batch", "none"})
      for (const char* arch : {"mlp", "cnn", "vgg"}) {
        const double v = (std::string(norm) == "batch" ? 0.6 : 0.4) + 0.001 * seed;
        curves.push_back({{{"normalization", norm}, {"architecture", arch}, {"dataset", "fmnist/pairs"}},
                          {v, v + 0.1},
                          {v / 2, std::nan("")}});
      }
  const cp::Figure f = cp::detail::axis_panels({"ami_by_layer", "AMI by layer", "depth", "AMI", {0.0, 1.0}, ""}, curves);
  ASSERT_EQ(f.name, "ami_by_layer");
  // dataset has one level: no panel. normalization 2 + architecture 3 lines.
  EXPECT_NE(f.script.find("set multiplot layout 1,2"), std::string::npos) << f.script;
  EXPECT_NE(f.script.find("set title \"normalization\""), std::string::npos);
  EXPECT_EQ(f.script.find("set title \"dataset\""), std::string::npos);
  std::size_t lines = 0;
  for (std::size_t at = f.script.find("with linespoints"); at != std::string::npos;
       at = f.script.find("with linespoints", at + 1))
    ++lines;
  EXPECT_EQ(lines, 5u);
  EXPECT_NE(f.script.find("title \"batch (120)\""), std::string::npos) << f.script;
  // Panels in the axes' name order; the first block (architecture = mlp):
  // the mean over its 80 runs at x = 0, a band, and epoch 0's mean; at x = 1
  // epoch 0 is missing.
  const double mean = 0.5 + 0.001 * 19.5;
  char first[64];
  std::snprintf(first, sizeof first, "0 %.6g ", mean);
  EXPECT_EQ(f.data.rfind(first, 0), 0u) << f.data.substr(0, 200);
  const std::string second_line = f.data.substr(f.data.find('\n') + 1, f.data.find('\n', f.data.find('\n') + 1) - f.data.find('\n') - 1);
  EXPECT_EQ(second_line.substr(second_line.size() - 2), " ?") << second_line;
}

TEST(Panels, NothingToDrawIsNoFigure) {
  std::vector<cp::detail::RunCurve> curves{{{{"normalization", "batch"}}, {std::nan("")}, {std::nan("")}}};
  EXPECT_TRUE(cp::detail::axis_panels({"x", "t", "", "", {0.0}, ""}, curves).name.empty());
}

}  // namespace
