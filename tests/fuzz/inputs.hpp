#pragma once
// Seeds and mutations of the fuzz test: valid inputs of every kind the tool
// reads (study files, overrides, IDX, CIFAR records, activation files), and
// the ways a careless or hostile user breaks them.
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace fuzz {

namespace fs = std::filesystem;

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(g_); }
  std::size_t pos(std::size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(g_); }
  bool coin() { return pick(2) == 0; }
  template <class T>
  const T& one_of(const std::vector<T>& v) { return v[pos(v.size())]; }

 private:
  std::mt19937_64 g_;
};

// Values a user might type anywhere: wrong types, extremes, YAML oddities.
inline const std::vector<std::string> kTokens = {
    "-1", "0", "1", "1e300", "-1e300", "1000000000000", "9223372036854775808", "nan", ".inf", "[]", "{}",
    "\"\"", "[a, b]", "[[1]]", "true", "~", "!!binary AAAA", "&a x", "*a", "'x'", "0x10", "1.5", "abc",
    "{a: 1}", "\"\\t\"", "[1, 2, 3]", "2147483648", "-2147483649", "1e-320", "[0, 1e400]", "\"\\n\"", "|\n  x"};

// Byte-level damage: truncation, bit flips, insertions, deletions, duplications.
inline std::string mutate_bytes(std::string s, Rng& r, std::size_t focus = 0) {
  const std::size_t n = s.size();
  const std::size_t at = focus > 0 && r.coin() ? r.pos(std::min(focus, n)) : r.pos(n);
  switch (r.pick(6)) {
    case 0: s.resize(at); break;
    case 1:
      for (int i = 0, k = 1 + r.pick(8); i < k && n > 0; ++i) {
        const std::size_t p = focus > 0 && r.coin() ? r.pos(std::min(focus, n)) : r.pos(n);
        s[p] = static_cast<char>(s[p] ^ (1 << r.pick(8)));
      }
      break;
    case 2: s.insert(at, std::string(1 + r.pick(16), static_cast<char>(r.pick(256)))); break;
    case 3: s.erase(at, 1 + r.pick(32)); break;
    case 4: s.insert(at, s.substr(r.pos(n), 1 + r.pick(64))); break;
    default: {
      const char specials[] = {'\0', '\t', '\n', ':', '[', '{', '"', '-', '\xff', '#', '&'};
      if (n > 0) s[at] = specials[r.pick(sizeof specials)];
    }
  }
  return s;
}

inline std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Line-level damage of YAML: a value replaced, lines dropped, doubled, swapped, unknown keys.
inline std::string mutate_yaml(const std::string& text, Rng& r) {
  auto lines = lines_of(text);
  const std::size_t i = r.pos(lines.size()), j = r.pos(lines.size());
  switch (r.pick(6)) {
    case 0: {
      const auto colon = lines[i].rfind(": ");
      if (colon != std::string::npos) lines[i] = lines[i].substr(0, colon + 2) + r.one_of(kTokens);
      break;
    }
    case 1: lines.erase(lines.begin() + static_cast<long>(i)); break;
    case 2: lines.insert(lines.begin() + static_cast<long>(i), lines[j]); break;
    case 3: std::swap(lines[i], lines[j]); break;
    case 4: lines.insert(lines.begin() + static_cast<long>(i), r.coin() ? "  bogus_key: 1" : "bogus: [x]"); break;
    default: return mutate_bytes(text, r);
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

inline void write_file(const fs::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline std::string big_endian(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// An IDX file of `count` 4x4 images (or labels when dims is 1).
inline std::string idx_bytes(int dims, std::uint32_t count) {
  std::string s = std::string("\0\0\x08", 3) + static_cast<char>(dims) + big_endian(count);
  if (dims == 3) s += big_endian(4) + big_endian(4);
  const std::size_t body = count * (dims == 3 ? 16u : 1u);
  for (std::size_t i = 0; i < body; ++i) s += static_cast<char>(i * 37 % (dims == 3 ? 256 : 10));
  return s;
}

// One CIFAR-10 record file: `n` records of a label byte and 3072 pixels.
inline std::string cifar_bytes(int n, int seed) {
  std::string s;
  for (int r = 0; r < n; ++r) {
    s += static_cast<char>((r + seed) % 10);
    for (int k = 0; k < 3072; ++k) s += static_cast<char>((k * 7 + r * 13 + seed) % 256);
  }
  return s;
}

/// How an activations file is built: the shape of its parts and what is wrong with it.
struct H5Spec {
  std::int64_t rows = 60, dim = 6;
  hid_t layer_type = H5T_NATIVE_FLOAT;  // int32, float64 or a string type for wrong dtypes
  int layer_rank = 2;
  std::int64_t layer_rows = -1;          // -1: same as the labels
  bool huge_chunked = false;             // declares 2^40 columns, stores nothing
  bool nan = false, inf = false;
  bool no_fine = false, no_coarse = false, float_labels = false;
  int label_shift = 0;                   // added to fine labels (negative: invalid)
  bool one_class = false;
  std::string layer_name = "fc";
  std::string group_name = "epoch_0";
};

inline void write_dataset(hid_t file, const std::string& name, hid_t type, const std::vector<hsize_t>& dims,
                          const void* data, bool chunked_huge = false) {
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (chunked_huge) {
    std::vector<hsize_t> chunk(dims.size(), 1);
    chunk.back() = 1024;
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
  }
  hid_t d = H5Dcreate2(file, name.c_str(), type, space, lcpl, dcpl, H5P_DEFAULT);
  if (d >= 0 && data) H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  if (d >= 0) H5Dclose(d);
  H5Pclose(dcpl);
  H5Sclose(space);
  H5Pclose(lcpl);
}

inline void write_activations(const fs::path& path, const H5Spec& s, Rng& r) {
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  std::vector<std::int32_t> fine(static_cast<std::size_t>(s.rows)), coarse(fine.size());
  for (std::size_t i = 0; i < fine.size(); ++i) {
    fine[i] = s.one_class ? 0 : static_cast<std::int32_t>(i % 4) + s.label_shift;
    coarse[i] = s.one_class ? 0 : static_cast<std::int32_t>(i % 4) / 2;
  }
  const std::vector<hsize_t> n{static_cast<hsize_t>(s.rows)};
  if (!s.no_fine) {
    if (s.float_labels) {
      std::vector<double> f(fine.begin(), fine.end());
      write_dataset(file, "labels/fine", H5T_NATIVE_DOUBLE, n, f.data());
    } else {
      write_dataset(file, "labels/fine", H5T_NATIVE_INT32, n, fine.data());
    }
  }
  if (!s.no_coarse) write_dataset(file, "labels/coarse", H5T_NATIVE_INT32, n, coarse.data());
  const std::int64_t rows = s.layer_rows >= 0 ? s.layer_rows : s.rows;
  std::vector<float> x(static_cast<std::size_t>(rows * s.dim));
  for (std::size_t i = 0; i < x.size(); ++i) {
    const std::size_t row = i / static_cast<std::size_t>(s.dim), col = i % static_cast<std::size_t>(s.dim);
    x[i] = static_cast<float>((col == row % 4 ? 6.0 : 0.0) + std::sin(static_cast<double>(i) * 1.7));
  }
  if (!x.empty() && s.nan) x[r.pos(x.size())] = std::nanf("");
  if (!x.empty() && s.inf) x[r.pos(x.size())] = INFINITY;
  const std::string obj = s.group_name + "/" + s.layer_name;
  std::vector<hsize_t> dims{static_cast<hsize_t>(rows), static_cast<hsize_t>(s.dim)};
  if (s.layer_rank == 1) dims = {static_cast<hsize_t>(rows * s.dim)};
  if (s.layer_rank == 3) dims = {static_cast<hsize_t>(rows), static_cast<hsize_t>(s.dim), 1};
  if (s.huge_chunked) {
    write_dataset(file, obj, H5T_NATIVE_FLOAT, {static_cast<hsize_t>(rows), hsize_t{1} << 40}, nullptr, true);
  } else if (s.layer_type == H5T_NATIVE_FLOAT) {
    write_dataset(file, obj, H5T_NATIVE_FLOAT, dims, x.data());
  } else if (s.layer_type == H5T_NATIVE_DOUBLE) {
    std::vector<double> d(x.begin(), x.end());
    write_dataset(file, obj, H5T_NATIVE_DOUBLE, dims, d.data());
  } else {
    std::vector<std::int32_t> d(x.begin(), x.end());
    write_dataset(file, obj, H5T_NATIVE_INT32, dims, d.data());
  }
  write_dataset(file, "epoch_1/fc", H5T_NATIVE_FLOAT,
                {static_cast<hsize_t>(s.rows), static_cast<hsize_t>(s.dim)},
                std::vector<float>(static_cast<std::size_t>(s.rows * s.dim), 1.0f).data());
  H5Fclose(file);
}

}  // namespace fuzz
