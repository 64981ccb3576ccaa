#include "clusterprobe/train/augment.hpp"

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

std::uint64_t splitmix64(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace

AugmentSpec augment_spec(const std::vector<std::string>& names, int padding,
                         const std::vector<std::int64_t>& sample_shape) {
  AugmentSpec spec;
  if (padding < 0) throw ConfigError("train.crop_padding must be >= 0, got " + std::to_string(padding));
  for (const auto& name : names) {
    if (name == "crop") spec.crop = true;
    else if (name == "flip") spec.flip = true;
    else throw ConfigError("train.augment: unknown augmentation '" + name + "' (crop | flip)");
  }
  if (sample_shape.size() != 3) return AugmentSpec{};  // vectors: nothing to crop or flip
  spec.padding = spec.crop ? padding : 0;
  return spec;
}

torch::Tensor augment_batch(const torch::Tensor& x, const AugmentSpec& spec, std::uint64_t seed,
                            int epoch, std::int64_t batch_start, std::int64_t global_size,
                            std::int64_t row_begin) {
  if (!spec.any() || x.dim() != 4 || x.size(0) == 0) return x;
  const std::int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  CP_ASSERT(row_begin >= 0 && row_begin + n <= global_size, "augment_batch: rows outside the batch");
  const std::int64_t p = spec.crop ? spec.padding : 0;
  // The same draws on every rank for the whole global batch; this shard takes its rows.
  std::uint64_t state = seed * 0xD1B54A32D192ED03ULL ^
                        (static_cast<std::uint64_t>(epoch) + 1) * 0xABC98388FB8FAC03ULL ^
                        (static_cast<std::uint64_t>(batch_start) + 1) * 0x8CB92BA72F3D8DD7ULL;
  std::vector<std::int64_t> dy(static_cast<std::size_t>(n)), dx(static_cast<std::size_t>(n)),
      flip(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < global_size; ++i) {
    const std::uint64_t r1 = splitmix64(state), r2 = splitmix64(state), r3 = splitmix64(state);
    if (i < row_begin || i >= row_begin + n) continue;
    const auto k = static_cast<std::size_t>(i - row_begin);
    dy[k] = p > 0 ? static_cast<std::int64_t>(r1 % static_cast<std::uint64_t>(2 * p + 1)) : 0;
    dx[k] = p > 0 ? static_cast<std::int64_t>(r2 % static_cast<std::uint64_t>(2 * p + 1)) : 0;
    flip[k] = spec.flip ? static_cast<std::int64_t>(r3 >> 63) : 0;
  }
  const auto opts = torch::TensorOptions().dtype(torch::kInt64);
  const auto dev = x.device();
  auto dy_t = torch::from_blob(dy.data(), {n, 1}, opts).to(dev);
  auto dx_t = torch::from_blob(dx.data(), {n, 1}, opts).to(dev);
  auto flip_t = torch::from_blob(flip.data(), {n, 1}, opts).to(dev).to(torch::kBool);
  const auto ar_h = torch::arange(h, opts.device(dev)).unsqueeze(0);  // [1, H]
  const auto ar_w = torch::arange(w, opts.device(dev)).unsqueeze(0);  // [1, W]
  const auto rows = dy_t + ar_h;                                        // [n, H]
  const auto cols = dx_t + torch::where(flip_t, (w - 1) - ar_w, ar_w);  // [n, W]
  const auto padded = p > 0 ? torch::constant_pad_nd(x, {p, p, p, p}, 0) : x;
  const std::int64_t c = x.size(1), wp = padded.size(3);
  auto out = padded.gather(2, rows.view({n, 1, h, 1}).expand({n, c, h, wp}));
  return out.gather(3, cols.view({n, 1, 1, w}).expand({n, c, h, w}));
}

}  // namespace cp
