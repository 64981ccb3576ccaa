// IDX files: plain and gzipped, and every way they can be broken.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/idx.hpp"

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

namespace {

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cp_test_idx_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Header for `dims` with type code `type`, then `payload`.
  static Bytes idx(const std::vector<std::uint32_t>& dims, const Bytes& payload,
                   std::uint8_t type = 0x08) {
    Bytes b{0, 0, type, static_cast<std::uint8_t>(dims.size())};
    for (std::uint32_t d : dims) {
      for (int shift = 24; shift >= 0; shift -= 8)
        b.push_back(static_cast<std::uint8_t>(d >> shift));
    }
    b.insert(b.end(), payload.begin(), payload.end());
    return b;
  }

  std::string write_plain(const std::string& name, const Bytes& bytes) const {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  std::string write_gz(const std::string& name, const Bytes& bytes) const {
    const std::string path = (dir_ / name).string();
    gzFile f = gzopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    EXPECT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
              static_cast<int>(bytes.size()));
    gzclose(f);
    return path;
  }

  // The InputError's message, which must name the file.
  static std::string error_of(const std::string& path) {
    try {
      cp::read_idx(path);
    } catch (const cp::InputError& e) {
      const std::string msg = e.what();
      EXPECT_EQ(msg.rfind(path + ": ", 0), 0u) << msg;
      return msg;
    }
    ADD_FAILURE() << "no InputError for " << path;
    return {};
  }

  fs::path dir_;
};

const Bytes kImages{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};  // 2 images of 2 x 3

}  // namespace

TEST_F(IdxTest, ReadsPlainImages) {
  const cp::IdxArray a = cp::read_idx(write_plain("img", idx({2, 2, 3}, kImages)));
  EXPECT_EQ(a.dims, (std::vector<std::int64_t>{2, 2, 3}));
  EXPECT_EQ(a.data, kImages);
}

TEST_F(IdxTest, ReadsGzippedLabels) {
  const Bytes labels{0, 9, 3, 3, 7};
  const cp::IdxArray a = cp::read_idx(write_gz("labels.gz", idx({5}, labels)));
  EXPECT_EQ(a.dims, std::vector<std::int64_t>{5});
  EXPECT_EQ(a.data, labels);
}

TEST_F(IdxTest, TruncatedPayload) {
  Bytes short_images(kImages.begin(), kImages.end() - 1);
  EXPECT_NE(error_of(write_plain("img", idx({2, 2, 3}, short_images)))
                .find("truncated: expected 12 bytes of data, got 11"),
            std::string::npos);
  EXPECT_NE(error_of(write_gz("img.gz", idx({2, 2, 3}, short_images)))
                .find("truncated: expected 12 bytes of data, got 11"),
            std::string::npos);
  EXPECT_NE(error_of(write_plain("hdr", Bytes{0, 0, 8, 3, 0, 0})).find("truncated"),
            std::string::npos);
  EXPECT_NE(error_of(write_plain("empty", Bytes{})).find("truncated: no IDX header"),
            std::string::npos);
}

TEST_F(IdxTest, CutOrCorruptGzipStream) {
  Bytes big(4000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7919 % 251);
  const std::string whole = write_gz("whole.gz", idx({4000}, big));
  std::ifstream in(whole, std::ios::binary);
  Bytes gz((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Bytes bad_crc = gz;
  bad_crc[bad_crc.size() - 8] ^= 0xff;  // the trailer's CRC-32
  const std::string crc_msg = error_of(write_plain("crc.gz", bad_crc));
  EXPECT_NE(crc_msg.find("corrupt gzip data"), std::string::npos) << crc_msg;

  gz.resize(gz.size() / 2);  // a download that stopped half-way
  const std::string msg = error_of(write_plain("cut.gz", gz));
  EXPECT_NE(msg.find("truncated: expected 4000 bytes of data"), std::string::npos) << msg;
}

TEST_F(IdxTest, TrailingBytes) {
  Bytes longer = kImages;
  longer.insert(longer.end(), {0, 0});
  EXPECT_NE(error_of(write_plain("img", idx({2, 2, 3}, longer)))
                .find("trailing data: expected 12 bytes of data, got 14"),
            std::string::npos);
  EXPECT_NE(error_of(write_gz("img.gz", idx({2, 2, 3}, longer))).find("trailing data"),
            std::string::npos);
}

TEST_F(IdxTest, BadMagicAndType) {
  Bytes not_idx = idx({2, 2, 3}, kImages);
  not_idx[0] = 0x1f;
  EXPECT_NE(error_of(write_plain("magic", not_idx)).find("bad magic number 0x1f000803"),
            std::string::npos);
  EXPECT_NE(error_of(write_plain("float", idx({3}, {0, 0, 0}, 0x0d)))
                .find("unsupported IDX data type 0x00000d01"),
            std::string::npos);
  EXPECT_NE(error_of(write_plain("nodims", Bytes{0, 0, 8, 0})).find("0 dimensions"),
            std::string::npos);
}

TEST_F(IdxTest, MissingFile) {
  EXPECT_NE(error_of((dir_ / "absent.gz").string()).find("cannot open"), std::string::npos);
}

TEST(IdxRealData, FashionMnistTestLabels) {
  const std::string path = "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz";
  if (!fs::exists(path)) GTEST_SKIP() << path << " not installed (Debian: dataset-fashion-mnist)";
  const cp::IdxArray a = cp::read_idx(path);
  EXPECT_EQ(a.dims, std::vector<std::int64_t>{10000});
  ASSERT_EQ(a.data.size(), 10000u);
  std::vector<int> count(10, 0);
  for (std::uint8_t v : a.data) {
    ASSERT_LT(v, 10);
    ++count[v];
  }
  for (int c : count) EXPECT_EQ(c, 1000);  // the test split is balanced
}
