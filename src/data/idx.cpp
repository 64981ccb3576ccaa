#include "clusterprobe/data/idx.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"

namespace cp {
namespace {

// Far above any IDX file we read (Fashion-MNIST train is 47 MB); a header
// promising more is corrupt, and refusing it avoids a huge allocation.
constexpr std::int64_t kMaxPayload = std::int64_t{1} << 36;
constexpr unsigned kChunk = 1u << 20;

struct GzCloser {
  void operator()(gzFile f) const { gzclose(f); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {
    refuse_non_regular(path_, "IDX file");
    errno = 0;
    // gzopen reads plain files transparently, so one path serves both.
    file_.reset(gzopen(path_.c_str(), "rb"));
    if (!file_) {
      fail(std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
    }
    gzbuffer(file_.get(), 1u << 17);
  }

  /// Whether the file is gzip (gzopen reads plain files too).
  bool compressed() const { return gzdirect(file_.get()) == 0; }

  /// Reads up to `n` bytes; fewer only at the end of the data.
  std::int64_t read(std::uint8_t* dst, std::int64_t n) {
    std::int64_t got = 0;
    while (got < n) {
      const unsigned want = static_cast<unsigned>(std::min<std::int64_t>(n - got, kChunk));
      const int r = gzread(file_.get(), dst + got, want);
      if (r <= 0) break;  // end of data, or an error that the caller reports
      got += r;
    }
    return got;
  }

  /// Fails after a read came up short: a cut-off file is "truncated: <what>",
  /// a damaged gzip stream or an I/O error says so instead.
  [[noreturn]] void fail_short(const std::string& what) const {
    int code = Z_OK;
    const char* msg = gzerror(file_.get(), &code);
    if (code == Z_ERRNO) fail(std::string("read error: ") + std::strerror(errno));
    // Z_BUF_ERROR: the gzip stream ended before its trailer.
    if (code != Z_OK && code != Z_BUF_ERROR) fail("corrupt gzip data: " + zlib_message(msg));
    fail("truncated: " + what + (code == Z_BUF_ERROR ? " (the gzip stream is cut off)" : ""));
  }

  /// Fails if zlib reported an error although the reads came out complete.
  void check_stream() const {
    int code = Z_OK;
    const char* msg = gzerror(file_.get(), &code);
    if (code == Z_ERRNO) fail(std::string("read error: ") + std::strerror(errno));
    if (code != Z_OK) fail("corrupt gzip data: " + zlib_message(msg));
  }

  [[noreturn]] void fail(const std::string& problem) const {
    throw InputError(path_ + ": " + problem);
  }

 private:
  // zlib prefixes its messages with the path, which our messages already start with.
  std::string zlib_message(const char* msg) const {
    std::string m(msg ? msg : "unknown error");
    if (m.rfind(path_ + ": ", 0) == 0) m.erase(0, path_.size() + 2);
    return m;
  }

  std::string path_;
  GzHandle file_;
};

std::uint32_t big_endian(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

std::string hex32(std::uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  Reader in(path);
  std::uint8_t magic[4];
  if (in.read(magic, 4) != 4) in.fail_short("no IDX header");
  const std::uint32_t m = big_endian(magic);
  if (magic[0] != 0 || magic[1] != 0) {
    in.fail("bad magic number " + hex32(m) +
            " (not an IDX file; expected 0x00000801 or 0x00000803)");
  }
  if (magic[2] != 0x08) {
    in.fail("unsupported IDX data type " + hex32(m) + ": only unsigned bytes (0x08) are supported");
  }
  const int ndims = magic[3];
  if (ndims < 1 || ndims > 4) {
    in.fail("bad magic number " + hex32(m) + ": " + std::to_string(ndims) +
            " dimensions (expected 1 to 4)");
  }

  IdxArray out;
  std::int64_t payload = 1;
  for (int d = 0; d < ndims; ++d) {
    std::uint8_t raw[4];
    if (in.read(raw, 4) != 4) {
      in.fail_short("header ends before dimension " + std::to_string(d + 1) + " of " +
                    std::to_string(ndims));
    }
    out.dims.push_back(big_endian(raw));
    payload *= out.dims.back();  // each factor < 2^32 and payload stays < 2^36 below
    if (payload > kMaxPayload) in.fail("implausible dimensions: more than 2^36 bytes of data");
  }

  // The header must not decide the allocation alone: a plain file must hold
  // exactly what it claims, a gzip file cannot inflate beyond zlib's ratio,
  // and the data is read in growing pieces, so a lying header fails with
  // "truncated" after using about as much memory as the file really holds.
  const std::int64_t header = 4 + 4 * static_cast<std::int64_t>(ndims);
  std::error_code ec;
  const auto file_size = static_cast<std::int64_t>(std::filesystem::file_size(path, ec));
  if (!ec && !in.compressed() && file_size != header + payload)
    in.fail(std::string(file_size < header + payload ? "truncated" : "trailing data") + ": expected " +
            std::to_string(payload) + " bytes of data, got " + std::to_string(file_size - header));
  constexpr std::int64_t kMaxDeflateRatio = 1032;  // zlib's bound for a fully repetitive input
  if (!ec && in.compressed() && payload > file_size * kMaxDeflateRatio)
    in.fail("header claims " + std::to_string(payload) + " bytes of data, more than a gzip file of " +
            std::to_string(file_size) + " bytes can hold");
  std::int64_t got = 0;
  while (got < payload) {
    const std::int64_t next = std::min(payload, std::max<std::int64_t>(2 * got, std::int64_t{1} << 20));
    out.data.resize(static_cast<std::size_t>(next));
    const std::int64_t r = in.read(out.data.data() + got, next - got);
    got += r;
    if (got < next) break;
  }
  if (got < payload) {
    in.fail_short("expected " + std::to_string(payload) + " bytes of data, got " +
                  std::to_string(got));
  }
  // Count any trailing bytes, so the message says how far off the header is.
  std::int64_t extra = 0;
  std::uint8_t scratch[4096];
  for (std::int64_t r; (r = in.read(scratch, sizeof scratch)) > 0;) extra += r;
  in.check_stream();
  if (extra > 0) {
    in.fail("trailing data: expected " + std::to_string(payload) + " bytes of data, got " +
            std::to_string(payload + extra));
  }
  return out;
}

}  // namespace cp
