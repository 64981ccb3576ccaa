// float -> IEEE half, as compact activation files store it: the bits numpy's
// float32 -> float16 cast gives, including rounding ties, subnormals,
// overflow and NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "../../src/io/half.hpp"

namespace {

using cp::detail::float_to_half;

TEST(Half, ExactValues) {
  EXPECT_EQ(float_to_half(0.0f), 0x0000);
  EXPECT_EQ(float_to_half(-0.0f), 0x8000);
  EXPECT_EQ(float_to_half(1.0f), 0x3c00);
  EXPECT_EQ(float_to_half(-2.0f), 0xc000);
  EXPECT_EQ(float_to_half(65504.0f), 0x7bff);              // largest finite half
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14)), 0x0400);  // smallest normal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -24)), 0x0001);  // smallest subnormal
}

TEST(Half, RoundsToNearestEven) {
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // tie: down to even
  EXPECT_EQ(float_to_half(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // tie: up to even
  EXPECT_EQ(float_to_half(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)), 0x3c01);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25)), 0x0000);                        // tie below the smallest subnormal
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -25) + std::ldexp(1.0f, -35)), 0x0001);
  EXPECT_EQ(float_to_half(std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26)), 0x0400);  // rounds up into the normals
}

TEST(Half, OverflowInfinityAndNaN) {
  EXPECT_EQ(float_to_half(65520.0f), 0x7c00);  // the tie above 65504 goes to even: infinity
  EXPECT_EQ(float_to_half(65519.0f), 0x7bff);
  EXPECT_EQ(float_to_half(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half(-std::numeric_limits<float>::infinity()), 0xfc00);
  const auto nan = float_to_half(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x03ff, 0);
}

}  // namespace
