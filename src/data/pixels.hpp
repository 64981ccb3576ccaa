#pragma once
// 8-bit images to normalised floats, shared by every image dataset so that
// Fashion-MNIST, CIFAR and image folders normalise the same way:
// (v / 255 - mean) / sd per channel. Private to src/data.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace cp::detail {

/// Lookup table from a byte to its normalised value for one channel.
using PixelTable = std::array<float, 256>;

inline PixelTable pixel_table(float mean, float sd) {
  PixelTable t;
  for (int v = 0; v < 256; ++v) t[v] = (static_cast<float>(v) / 255.0f - mean) / sd;
  return t;
}

/// Per-channel mean and standard deviation of training pixels (scaled to
/// [0, 1]), from exact per-value histograms: no rounding drift over 150M pixels.
class ChannelStats {
 public:
  explicit ChannelStats(int channels) : counts_(static_cast<std::size_t>(channels)) {
    for (auto& c : counts_) c.fill(0);
  }

  /// Adds one CHW image of `plane` pixels per channel.
  void add(const std::uint8_t* chw, std::int64_t plane) {
    for (auto& count : counts_) {
      for (std::int64_t k = 0; k < plane; ++k) ++count[chw[k]];
      chw += plane;
    }
  }

  /// One table per channel. A constant channel (sd 0) is only centred: dividing
  /// by zero would turn every sample into NaN.
  std::vector<PixelTable> tables() const {
    std::vector<PixelTable> out;
    for (const auto& count : counts_) {
      double n = 0, sum = 0, sum2 = 0;
      for (int v = 0; v < 256; ++v) {
        const double x = v / 255.0;
        n += static_cast<double>(count[v]);
        sum += static_cast<double>(count[v]) * x;
        sum2 += static_cast<double>(count[v]) * x * x;
      }
      const double mean = n > 0 ? sum / n : 0.0;
      const double var = n > 0 ? std::max(0.0, sum2 / n - mean * mean) : 0.0;
      const double sd = var > 1e-12 ? std::sqrt(var) : 1.0;
      out.push_back(pixel_table(static_cast<float>(mean), static_cast<float>(sd)));
    }
    return out;
  }

 private:
  std::vector<std::array<std::int64_t, 256>> counts_;
};

/// Appends one CHW image, normalised channel by channel, to `out`.
inline void append_normalised(const std::uint8_t* chw, std::int64_t plane,
                              const std::vector<PixelTable>& tables, std::vector<float>& out) {
  for (const auto& table : tables) {
    for (std::int64_t k = 0; k < plane; ++k) out.push_back(table[chw[k]]);
    chw += plane;
  }
}

}  // namespace cp::detail
