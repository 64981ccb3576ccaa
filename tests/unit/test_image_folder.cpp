// Image folders: PNG (grey, RGB, RGBA, 16-bit) and JPEG decoding, the resize
// to image_size, BREEDS-form hierarchies, and rejected folders and files.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "../../src/data/image_decode.hpp"
#include "../support/image_writer.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace fs = std::filesystem;
using cp::test::write_constant_jpeg;
using cp::test::write_constant_png;

namespace {

constexpr int kSize = 8;

// <root>/hierarchies/shapes.yaml (BREEDS form) and <root>/images/{train,test}/<class>/.
// Training images are constant colours, so the normalisation is known exactly.
class Folders : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("cp_images_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_ / "hierarchies");
    std::ofstream(root_ / "hierarchies" / "shapes.yaml")
        << "name: shapes\nsuperclasses:\n  warm: [red, orange]\n  cool: [blue, green]\n";
    for (const char* split : {"train", "test"}) {
      for (const char* cls : {"red", "orange", "blue", "green", "ignored"}) {
        fs::create_directories(images() / split / cls);
      }
    }
    const fs::path train = images() / "train";
    write_constant_png(train / "red" / "a.png", 40, 30, {200, 10, 10});              // RGB
    write_constant_png(train / "orange" / "a.png", 16, 16, {250, 120, 0, 100});      // RGBA
    write_constant_png(train / "blue" / "a.png", 9, 12, {60});                       // grey
    write_constant_png(train / "blue" / "b.PNG", 8, 8, {128 * 257}, 16);             // 16-bit grey
    write_constant_png(train / "green" / "z.png", 30, 40, {0, 200, 0, 255});         // RGBA
    std::ofstream(train / "green" / "notes.txt") << "not an image";                  // ignored
    std::ofstream(train / "ignored" / "bad.png") << "not in the hierarchy: never read";
    const fs::path test = images() / "test";
    write_constant_jpeg(test / "red" / "c.jpg", 20, 20, {200, 10, 10});
    write_constant_jpeg(test / "orange" / "d.jpeg", 64, 48, {90});  // grey JPEG
    write_constant_png(test / "blue" / "b.png", 4, 4, {60});        // enlarged
    write_constant_png(test / "blue" / "a.png", 100, 10, {0, 0, 255});
    write_constant_png(test / "green" / "f.png", 8, 8, {0, 200, 0});
    cfg_.hierarchy_dir = (root_ / "hierarchies").string();
    cfg_.image_dir = images().string();
    cfg_.image_size = kSize;
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path images() const { return root_ / "images"; }

  void expect_error(const std::string& file, const std::string& problem) {
    try {
      cp::load_dataset("images/shapes", cfg_);
      ADD_FAILURE() << "no InputError for " << file;
    } catch (const cp::InputError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(file), std::string::npos) << msg;
      EXPECT_NE(msg.find(problem), std::string::npos) << msg << "\nexpected: " << problem;
    }
  }

  fs::path root_;
  cp::DataConfig cfg_;
};

// Mean of every sample's channel c, i.e. the constant an image normalises to.
float channel_value(const cp::Split& s, std::int64_t row, int c) {
  const std::int64_t plane = kSize * kSize;
  const float* x = s.x.data() + row * 3 * plane + c * plane;
  float lo = x[0], hi = x[0];
  for (std::int64_t k = 0; k < plane; ++k) lo = std::min(lo, x[k]), hi = std::max(hi, x[k]);
  EXPECT_NEAR(lo, hi, 1e-4) << "row " << row << " channel " << c << " is not constant";
  return x[0];
}

}  // namespace

TEST_F(Folders, DecodesResizesAndNormalises) {
  const cp::Dataset ds = cp::load_dataset("images/shapes", cfg_);
  EXPECT_EQ(ds.hierarchy.fine_names, (std::vector<std::string>{"red", "orange", "blue", "green"}));
  EXPECT_EQ(ds.sample_shape, (std::vector<std::int64_t>{3, kSize, kSize}));
  // By class label, then file name ("a.png" < "b.PNG").
  EXPECT_EQ(ds.train.fine, (std::vector<std::int32_t>{0, 1, 2, 2, 3}));
  EXPECT_EQ(ds.train.coarse, (std::vector<std::int32_t>{0, 0, 1, 1, 1}));
  EXPECT_EQ(ds.train.index, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(ds.test.fine, (std::vector<std::int32_t>{0, 1, 2, 2, 3}));
  ASSERT_EQ(ds.train.x.size(), 5u * 3 * kSize * kSize);

  // The training colours (alpha dropped, 16-bit scaled, grey replicated), each
  // image weighing kSize^2 pixels: per-channel mean and sd of these five.
  const double colours[5][3] = {
      {200, 10, 10}, {250, 120, 0}, {60, 60, 60}, {128, 128, 128}, {0, 200, 0}};
  for (int c = 0; c < 3; ++c) {
    double s = 0, s2 = 0;
    for (const auto& col : colours) s += col[c] / 255.0, s2 += std::pow(col[c] / 255.0, 2);
    const double mean = s / 5, sd = std::sqrt(s2 / 5 - mean * mean);
    for (int r = 0; r < 5; ++r) {
      EXPECT_NEAR(channel_value(ds.train, r, c), (colours[r][c] / 255.0 - mean) / sd, 1e-4)
          << "row " << r << " channel " << c;
    }
    // Test images: JPEG is lossy (a couple of levels off); PNGs are exact.
    const double test_colours[5][3] = {
        {200, 10, 10}, {90, 90, 90}, {0, 0, 255}, {60, 60, 60}, {0, 200, 0}};
    for (int r = 0; r < 5; ++r) {
      const double tolerance = r < 2 ? 3.0 / 255 / sd : 1e-4;
      EXPECT_NEAR(channel_value(ds.test, r, c), (test_colours[r][c] / 255.0 - mean) / sd,
                  tolerance)
          << "test row " << r << " channel " << c;
    }
  }

  const cp::DatasetInfo info = cp::peek_dataset("images/shapes", cfg_);
  EXPECT_EQ(info.train_size, 5);
  EXPECT_EQ(info.test_size, 5);
  EXPECT_EQ(info.sample_shape, (std::vector<std::int64_t>{3, kSize, kSize}));
  cp::DataConfig nowhere = cfg_;
  nowhere.image_dir = (root_ / "missing").string();
  EXPECT_EQ(cp::peek_dataset("images/shapes", nowhere).train_size, 0);
  EXPECT_NO_THROW(cp::check_dataset_spec("images/shapes", nowhere));  // data not needed
  EXPECT_THROW(cp::check_dataset_spec("images/shapes:source", nowhere), cp::ConfigError);
}

TEST_F(Folders, MissingOrEmptyClassFolders) {
  fs::remove_all(images() / "test" / "green");
  expect_error((images() / "test" / "green").string(), "missing folder of class 'green'");
  fs::create_directories(images() / "test" / "green");
  expect_error((images() / "test" / "green").string(), "no .png, .jpg or .jpeg images");
  cfg_.image_dir.clear();
  expect_error("images/shapes", "data.image_dir is not set");
}

TEST_F(Folders, CorruptImagesNameTheFile) {
  const fs::path png = images() / "train" / "red" / "a.png";
  fs::resize_file(png, fs::file_size(png) - 20);  // cut inside the image data
  expect_error(png.string(), "corrupt PNG");

  write_constant_png(png, 40, 30, {200, 10, 10});
  const fs::path jpg = images() / "test" / "red" / "c.jpg";
  fs::resize_file(jpg, fs::file_size(jpg) / 2);
  expect_error(jpg.string(), "corrupt JPEG");

  std::ofstream(jpg, std::ios::binary) << "\xff\xd8 garbage";
  expect_error(jpg.string(), "corrupt JPEG");
  std::ofstream(jpg, std::ios::binary) << "GIF89a";
  expect_error(jpg.string(), "not a PNG or JPEG file");
}

TEST(ImageResize, AreaAveragingAndCentreCrop) {
  // 4x4 grey-levels image shrunk to 2x2: each output pixel is a 2x2 block mean.
  cp::detail::RgbImage img{4, 4, {}};
  for (int k = 0; k < 16; ++k) {
    img.pixels.insert(img.pixels.end(), 3, static_cast<std::uint8_t>(k * 10));
  }
  auto out = cp::detail::resize_center_crop(img, 2);
  ASSERT_EQ(out.size(), 12u);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 4),
            (std::vector<std::uint8_t>{25, 45, 105, 125}));  // (0+10+40+50)/4 = 25, ...
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin() + 8, out.end()),
            std::vector<std::uint8_t>(out.begin(), out.begin() + 4));  // same in every channel

  // A 6x2 image at size 2: height already 2, width kept at 6, centre columns 2 and 3.
  cp::detail::RgbImage wide{6, 2, {}};
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 6; ++x) wide.pixels.insert(wide.pixels.end(), {std::uint8_t(x), 0, 0});
  }
  out = cp::detail::resize_center_crop(wide, 2);
  EXPECT_EQ(std::vector<std::uint8_t>(out.begin(), out.begin() + 4),
            (std::vector<std::uint8_t>{2, 3, 2, 3}));
}
