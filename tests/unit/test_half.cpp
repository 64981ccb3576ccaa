// float -> IEEE half, as compact activation files store it: the bits numpy's
// float32 -> float16 cast gives, including rounding ties, subnormals,
// overflow and NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

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

TEST(Half, WideningIsExactAndInvertsNarrowing) {
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    const float f = cp::detail::half_to_float(static_cast<std::uint16_t>(h));
    if (std::isnan(f)) continue;
    EXPECT_EQ(float_to_half(f), h) << std::hex << h;
  }
  EXPECT_EQ(cp::detail::half_to_float(0x0001), std::ldexp(1.0f, -24));
  // The bulk conversions (F16C where the CPU has it) agree with the scalar ones.
  std::vector<std::uint16_t> all(0x10000), narrowed(0x10000);
  for (std::uint32_t h = 0; h < 0x10000u; ++h) all[h] = static_cast<std::uint16_t>(h);
  std::vector<float> wide(0x10000);
  cp::detail::halves_to_floats(all.data(), wide.data(), wide.size());
  cp::detail::floats_to_halves(wide.data(), narrowed.data(), wide.size());
  for (std::uint32_t h = 0; h < 0x10000u; ++h) {
    if (std::isnan(wide[h])) continue;
    EXPECT_EQ(wide[h], cp::detail::half_to_float(static_cast<std::uint16_t>(h)));
    EXPECT_EQ(narrowed[h], h);
  }
  std::vector<float> odd{1.0f + std::ldexp(1.0f, -11), 65520.0f, std::ldexp(1.0f, -25), 3.14159f, -1e-6f,
                         1.0f + 3 * std::ldexp(1.0f, -11), 1e10f, std::ldexp(1.0f, -14) - std::ldexp(1.0f, -26),
                         65519.0f, -2.5e-8f, 0.1f, 1e-4f};  // 12: through the 8-wide path and the tail
  std::vector<std::uint16_t> got(odd.size());
  cp::detail::floats_to_halves(odd.data(), got.data(), odd.size());
  for (std::size_t i = 0; i < odd.size(); ++i) EXPECT_EQ(got[i], float_to_half(odd[i])) << odd[i];
  EXPECT_EQ(cp::detail::half_to_float(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(cp::detail::half_to_float(0xfc00)));
}

}  // namespace
