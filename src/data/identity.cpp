// File identities for run ids (see data_identity in dataset.hpp).
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "clusterprobe/common/input_file.hpp"
#include "loaders.hpp"

namespace cp::detail {
namespace {

constexpr std::size_t kWindow = 64 * 1024;

std::uint64_t fnv1a(const char* data, std::size_t n, std::uint64_t h) {
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(data[i]);
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

std::string file_identity(const std::string& path, const std::string& name) {
  // Before the open: a FIFO would block it, and plan and status come here first.
  refuse_non_regular(path, "data file");
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return name + " missing";
  const auto size = static_cast<std::uint64_t>(in.tellg());
  std::vector<char> buffer(kWindow);
  std::uint64_t h = 14695981039346656037ull;
  // The head (headers, the first labels) and the tail (where a truncated or
  // appended file differs); a small file is read whole.
  for (const std::uint64_t at : {std::uint64_t{0}, size > 2 * kWindow ? size - kWindow : kWindow}) {
    if (at >= size) break;
    in.seekg(static_cast<std::streamoff>(at));
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<std::uint64_t>(kWindow, size - at)));
    h = fnv1a(buffer.data(), static_cast<std::size_t>(in.gcount()), h);
  }
  char text[64];
  std::snprintf(text, sizeof text, " %llu %016llx", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(h));
  return name + text;
}

}  // namespace cp::detail
