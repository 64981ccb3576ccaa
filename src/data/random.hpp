#pragma once
// Random numbers that are the same on every platform: std::uniform_int_distribution
// and std::normal_distribution are implementation-defined, and datasets and
// subsets must not change with the standard library. Private to src/data.
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace cp::rnd {

/// A well-mixed 64-bit value from `x` (SplitMix64's finaliser).
inline std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/// An independent stream `stream` of the generator family seeded by `seed`.
inline std::mt19937_64 engine(std::uint64_t seed, std::uint64_t stream) {
  return std::mt19937_64(mix(mix(seed) ^ stream));
}

/// Uniform in [0, n), n > 0, without modulo bias.
inline std::uint64_t below(std::mt19937_64& g, std::uint64_t n) {
  const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n: values below it are biased
  for (;;) {
    const std::uint64_t x = g();
    if (x >= threshold) return x % n;
  }
}

/// Uniform in [0, 1) with 53 random bits.
inline double uniform01(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }

/// Standard normal deviates by the Box-Muller transform, one pair at a time.
class Normal {
 public:
  double operator()(std::mt19937_64& g) {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform01(g);  // (0, 1]: log stays finite
    const double u2 = uniform01(g);
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double theta = 6.283185307179586 * u2;
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

 private:
  bool has_spare_ = false;
  double spare_ = 0;
};

/// Fisher-Yates shuffle.
template <class T>
void shuffle(std::vector<T>& v, std::mt19937_64& g) {
  for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(g, i)]);
}

}  // namespace cp::rnd
