#pragma once
// Writes small PNG and JPEG files for the image-folder tests (libpng and
// libjpeg are linked through clusterprobe_core). Test-only: a failure here
// aborts through the libraries' default handlers, which is fine for fixtures.
#include <png.h>
// jpeglib.h needs FILE and size_t declared first.
#include <cstdio>
#include <jpeglib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace cp::test {

/// `pixels` holds width * height * channels samples, rows top to bottom;
/// channels 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA); depth 8 or 16
/// (16-bit samples as values 0..65535).
inline void write_png(const std::string& path, int width, int height, int channels, int depth,
                      const std::vector<std::uint16_t>& pixels) {
  static const int kTypes[] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                               PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGBA};
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), depth,
               kTypes[channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  const int bytes = depth / 8;
  std::vector<png_byte> row(static_cast<std::size_t>(width) * channels * bytes);
  for (int y = 0; y < height; ++y) {
    for (int i = 0; i < width * channels; ++i) {
      const std::uint16_t v = pixels[static_cast<std::size_t>(y) * width * channels + i];
      if (bytes == 1) {
        row[i] = static_cast<png_byte>(v);
      } else {  // PNG stores 16-bit samples big-endian
        row[2 * i] = static_cast<png_byte>(v >> 8);
        row[2 * i + 1] = static_cast<png_byte>(v & 0xff);
      }
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

/// An 8-bit image of one colour (`colour` has `channels` values).
inline void write_constant_png(const std::string& path, int width, int height,
                               const std::vector<std::uint16_t>& colour, int depth = 8) {
  std::vector<std::uint16_t> pixels;
  for (int k = 0; k < width * height; ++k) {
    pixels.insert(pixels.end(), colour.begin(), colour.end());
  }
  write_png(path, width, height, static_cast<int>(colour.size()), depth, pixels);
}

/// `pixels` holds width * height * channels bytes; channels 1 (grey) or 3 (RGB).
inline void write_jpeg(const std::string& path, int width, int height, int channels,
                       const std::vector<std::uint8_t>& pixels, int quality = 95) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) throw std::runtime_error("cannot write " + path);
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = static_cast<JDIMENSION>(width);
  cinfo.image_height = static_cast<JDIMENSION>(height);
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(pixels.data()) +
                   static_cast<std::size_t>(cinfo.next_scanline) * width * channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

inline void write_constant_jpeg(const std::string& path, int width, int height,
                                const std::vector<std::uint8_t>& colour) {
  std::vector<std::uint8_t> pixels;
  for (int k = 0; k < width * height; ++k) {
    pixels.insert(pixels.end(), colour.begin(), colour.end());
  }
  write_jpeg(path, width, height, static_cast<int>(colour.size()), pixels);
}

}  // namespace cp::test
