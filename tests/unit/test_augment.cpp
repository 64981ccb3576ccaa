// Training-batch augmentation: identities, determinism, and shards of a
// global batch augmented alone equal to the same rows of the whole batch.
#include <gtest/gtest.h>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/train/augment.hpp"

namespace cp {
namespace {

torch::Tensor batch(std::int64_t n) {
  torch::manual_seed(3);
  return torch::randn({n, 3, 8, 6});
}

TEST(Augment, SpecFromNames) {
  const auto s = augment_spec({"crop", "flip"}, 4, {3, 8, 8});
  EXPECT_TRUE(s.crop && s.flip);
  EXPECT_EQ(s.padding, 4);
  EXPECT_FALSE(augment_spec({"crop", "flip"}, 4, {32}).any()) << "vectors take no augmentation";
  EXPECT_FALSE(augment_spec({}, 4, {3, 8, 8}).any());
  EXPECT_THROW(augment_spec({"rotate"}, 4, {3, 8, 8}), ConfigError);
}

TEST(Augment, CropWithoutPaddingIsIdentity) {
  const auto x = batch(5);
  const auto spec = augment_spec({"crop"}, 0, {3, 8, 6});
  EXPECT_TRUE(torch::equal(augment_batch(x, spec, 1, 0, 0, 5, 0), x));
}

TEST(Augment, ShapesKeptAndContentMoves) {
  const auto x = batch(16);
  const auto spec = augment_spec({"crop", "flip"}, 2, {3, 8, 6});
  const auto y = augment_batch(x, spec, 1, 0, 0, 16, 0);
  EXPECT_EQ(y.sizes(), x.sizes());
  EXPECT_FALSE(torch::equal(y, x));
  // A crop is a shifted window of the zero-padded image: every value of the
  // output is an input value of the same sample and channel, or a padding zero.
  for (std::int64_t i = 0; i < 16; ++i) {
    const auto in = x[i][0].flatten();
    for (float v : std::vector<float>(y[i][0].data_ptr<float>(), y[i][0].data_ptr<float>() + 48)) {
      EXPECT_TRUE(v == 0.0f || in.eq(v).any().item<bool>());
    }
  }
}

TEST(Augment, FlipTwiceRestores) {
  const auto x = batch(9);
  const auto spec = augment_spec({"flip"}, 0, {3, 8, 6});
  const auto once = augment_batch(x, spec, 5, 2, 64, 9, 0);
  EXPECT_TRUE(torch::equal(augment_batch(once, spec, 5, 2, 64, 9, 0), x));
  // Each sample is either unchanged or mirrored, and both occur in 9 draws... almost surely.
  int flipped = 0;
  for (std::int64_t i = 0; i < 9; ++i) {
    const bool same = torch::equal(once[i], x[i]);
    const bool mirrored = torch::equal(once[i], x[i].flip({2}));
    EXPECT_TRUE(same || mirrored);
    flipped += mirrored ? 1 : 0;
  }
  EXPECT_GT(flipped, 0);
  EXPECT_LT(flipped, 9);
}

TEST(Augment, DeterministicInSeedEpochAndStart) {
  const auto x = batch(12);
  const auto spec = augment_spec({"crop", "flip"}, 3, {3, 8, 6});
  const auto a = augment_batch(x, spec, 7, 1, 24, 12, 0);
  EXPECT_TRUE(torch::equal(a, augment_batch(x, spec, 7, 1, 24, 12, 0)));
  EXPECT_FALSE(torch::equal(a, augment_batch(x, spec, 8, 1, 24, 12, 0)));
  EXPECT_FALSE(torch::equal(a, augment_batch(x, spec, 7, 2, 24, 12, 0)));
  EXPECT_FALSE(torch::equal(a, augment_batch(x, spec, 7, 1, 36, 12, 0)));
}

TEST(Augment, ShardEqualsRowsOfTheWholeBatch) {
  const auto x = batch(11);
  const auto spec = augment_spec({"crop", "flip"}, 2, {3, 8, 6});
  const auto whole = augment_batch(x, spec, 4, 3, 33, 11, 0);
  for (auto [lo, hi] : std::vector<std::pair<std::int64_t, std::int64_t>>{{0, 4}, {4, 11}, {5, 6}}) {
    const auto part = augment_batch(x.slice(0, lo, hi), spec, 4, 3, 33, 11, lo);
    EXPECT_TRUE(torch::equal(part, whole.slice(0, lo, hi))) << lo << ".." << hi;
  }
}

}  // namespace
}  // namespace cp
