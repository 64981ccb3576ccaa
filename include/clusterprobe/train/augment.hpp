#pragma once
// Training-batch augmentation (random crop after zero padding, horizontal
// flip), deterministic per sample in (seed, epoch, position in the global
// batch), so any number of ranks trains like one and a resumed run draws
// what the uninterrupted one did. Include only where LibTorch is needed.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace cp {

struct AugmentSpec {
  bool crop = false;     ///< random crop back to H x W after `padding` zeros on each side
  bool flip = false;     ///< horizontal flip with probability 1/2
  std::int64_t padding = 0;
  bool any() const { return (crop && padding > 0) || flip; }
};

/// Local. The augmentation of a run: `names` (crop | flip, resolved) for
/// samples of `sample_shape`. Vectors ([D]) take none. Throws ConfigError for
/// an unknown name or a negative padding.
AugmentSpec augment_spec(const std::vector<std::string>& names, int padding,
                         const std::vector<std::int64_t>& sample_shape);

/// Local. Augments `x` [n, C, H, W], rows [row_begin, row_begin + n) of a
/// global batch of `global_size` samples starting at `batch_start` of epoch
/// `epoch`. Every sample's crop offset and flip are drawn, for the whole
/// global batch, from a generator seeded by (seed, epoch, batch_start), so a
/// shard augmented alone equals the same rows of the whole batch augmented.
/// Vectorised: one pad and two gathers per batch. Returns a new tensor.
torch::Tensor augment_batch(const torch::Tensor& x, const AugmentSpec& spec, std::uint64_t seed,
                            int epoch, std::int64_t batch_start, std::int64_t global_size,
                            std::int64_t row_begin);

}  // namespace cp
