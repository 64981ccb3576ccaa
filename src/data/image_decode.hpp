#pragma once
// PNG and JPEG decoding to 8-bit RGB, and the resize used by image folders.
// Private to src/data.
#include <cstdint>
#include <string>
#include <vector>

namespace cp::detail {

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC).
struct RgbImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  ///< width * height * 3
};

/// Local. Decodes a PNG (libpng) or JPEG (libjpeg) file, chosen by its first
/// bytes. Grey, palette, 16-bit and alpha images become 8-bit RGB (alpha is
/// dropped, 16-bit values are scaled). Throws InputError naming `path` when
/// the file cannot be read, is neither format, or is corrupt or truncated.
RgbImage decode_image(const std::string& path);

/// Local. Scales `img` so that its shorter side is `size` (area averaging when
/// shrinking, bilinear when enlarging), then crops the centre size x size
/// square. Returns 3 * size * size bytes in CHW order.
std::vector<std::uint8_t> resize_center_crop(const RgbImage& img, int size);

}  // namespace cp::detail
