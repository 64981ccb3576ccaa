#pragma once
// IDX files (the MNIST family's format), plain or gzip-compressed.
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

/// An unsigned-byte IDX array: dims[0] items of product(dims[1..]) bytes each.
struct IdxArray {
  std::vector<std::int64_t> dims;
  std::vector<std::uint8_t> data;
};

/// Local. Reads an IDX file of unsigned bytes (type code 0x08), gzip or plain.
/// Throws InputError naming the file when it is missing, has a bad magic number
/// or type, or holds fewer or more bytes than its header promises.
IdxArray read_idx(const std::string& path);

}  // namespace cp
