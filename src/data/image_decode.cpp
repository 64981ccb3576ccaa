// PNG via libpng and JPEG via libjpeg. Both libraries report errors by
// longjmp; every object with a destructor is owned by a caller above the
// setjmp frame, so no destructor is ever skipped, and the failure comes back
// as a message that becomes an InputError (never an exit or an abort).
#include "image_decode.hpp"

#include <png.h>
// jpeglib.h needs size_t and FILE declared first.
#include <cstdio>
#include <jpeglib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstring>
#include <fstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"

namespace cp::detail {
namespace {

// 2^28 pixels (16384^2): far above any dataset image; more is a corrupt header,
// and refusing it avoids a huge allocation.
constexpr std::uint64_t kMaxPixels = std::uint64_t{1} << 28;

// ---- PNG ----

struct PngState {  // plain data: survives the longjmp
  const std::uint8_t* data;
  std::size_t size, pos;
  char message[256];
};

void png_read_memory(png_structp png, png_bytep out, png_size_t n) {
  auto* st = static_cast<PngState*>(png_get_io_ptr(png));
  if (n > st->size - st->pos) png_error(png, "unexpected end of file (truncated)");
  std::memcpy(out, st->data + st->pos, n);
  st->pos += n;
}

void png_on_error(png_structp png, png_const_charp msg) {
  auto* st = static_cast<PngState*>(png_get_error_ptr(png));
  std::snprintf(st->message, sizeof st->message, "%s", msg);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // libpng recovers from these itself

bool decode_png(PngState& st, RgbImage& img, std::vector<png_bytep>& rows) {
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &st, png_on_error, png_on_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    std::snprintf(st.message, sizeof st.message, "out of memory");
    return false;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return false;
  }
  png_set_read_fn(png, &st, png_read_memory);
  png_read_info(png, info);
  png_uint_32 width = 0, height = 0;
  int depth = 0, colour = 0;
  png_get_IHDR(png, info, &width, &height, &depth, &colour, nullptr, nullptr, nullptr);
  if (std::uint64_t{width} * height > kMaxPixels) png_error(png, "implausibly large image");
  // Everything to 8-bit RGB: expand palettes and small grey depths, scale (not
  // truncate) 16-bit samples, drop alpha, replicate grey.
  if (colour == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (colour == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16) png_set_scale_16(png);
  png_set_strip_alpha(png);
  if (colour == PNG_COLOR_TYPE_GRAY || colour == PNG_COLOR_TYPE_GRAY_ALPHA) {
    png_set_gray_to_rgb(png);
  }
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  if (png_get_rowbytes(png, info) != std::size_t{width} * 3) {
    png_error(png, "unsupported pixel format");
  }
  img.width = static_cast<int>(width);
  img.height = static_cast<int>(height);
  img.pixels.resize(std::size_t{width} * height * 3);
  rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = img.pixels.data() + std::size_t{y} * width * 3;
  png_read_image(png, rows.data());
  png_read_end(png, nullptr);  // reads up to IEND: a cut-off file fails here
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

// ---- JPEG ----

struct JpegError {  // plain data: survives the longjmp
  jpeg_error_mgr mgr;  // first member: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void jpeg_on_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg only warns about corrupt or truncated data and fills the rest with
// grey; a dataset must not silently train on that, so warnings are errors.
void jpeg_on_message(j_common_ptr cinfo, int level) {
  if (level < 0) jpeg_on_error(cinfo);
}

bool decode_jpeg(const std::vector<std::uint8_t>& bytes, RgbImage& img, JpegError& err) {
  jpeg_decompress_struct cinfo{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = jpeg_on_error;
  err.mgr.emit_message = jpeg_on_message;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = JCS_RGB;  // grey and YCbCr convert; CMYK fails with a message
  jpeg_start_decompress(&cinfo);
  if (cinfo.output_components != 3 ||
      std::uint64_t{cinfo.output_width} * cinfo.output_height > kMaxPixels) {
    std::snprintf(err.message, sizeof err.message, "unsupported or implausibly large image");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  img.width = static_cast<int>(cinfo.output_width);
  img.height = static_cast<int>(cinfo.output_height);
  img.pixels.resize(std::size_t{cinfo.output_width} * cinfo.output_height * 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = img.pixels.data() + std::size_t{cinfo.output_scanline} * cinfo.output_width * 3;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return true;
}

// ---- resizing ----

struct Tap {
  int src;
  float weight;
};

/// For outputs offset..offset+count-1 of an axis resized from `in` to `out`
/// samples: the input samples each is made of, weights summing to 1.
std::vector<std::vector<Tap>> axis_taps(int in, int out, int offset, int count) {
  std::vector<std::vector<Tap>> taps(static_cast<std::size_t>(count));
  const double step = static_cast<double>(in) / out;  // input samples per output sample
  for (int i = 0; i < count; ++i) {
    const int o = offset + i;
    auto& t = taps[i];
    if (out < in) {  // shrink: average the input interval the output pixel covers
      const double lo = o * step, hi = (o + 1) * step;
      for (int k = static_cast<int>(lo); k < in && k < hi; ++k) {
        const double w = std::min<double>(hi, k + 1) - std::max<double>(lo, k);
        if (w > 0) t.push_back({k, static_cast<float>(w / step)});
      }
    } else {  // enlarge (or keep): bilinear between pixel centres
      const double c = std::clamp((o + 0.5) * step - 0.5, 0.0, in - 1.0);
      const int k0 = static_cast<int>(c);
      const double frac = c - k0;
      t.push_back({k0, static_cast<float>(1 - frac)});
      if (frac > 0) t.push_back({std::min(k0 + 1, in - 1), static_cast<float>(frac)});
    }
  }
  return taps;
}

}  // namespace

RgbImage decode_image(const std::string& path) {
  refuse_non_regular(path, "image");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path + ": cannot open image (" + std::strerror(errno) + ")");
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                  std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path + ": read error");
  RgbImage img;
  static const std::uint8_t kPngMagic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  if (bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0) {
    PngState st{bytes.data(), bytes.size(), 0, {0}};
    std::vector<png_bytep> rows;
    if (!decode_png(st, img, rows)) throw InputError(path + ": corrupt PNG: " + st.message);
  } else if (bytes.size() >= 2 && bytes[0] == 0xFF && bytes[1] == 0xD8) {
    JpegError err{};
    if (!decode_jpeg(bytes, img, err)) throw InputError(path + ": corrupt JPEG: " + err.message);
  } else {
    throw InputError(path + ": not a PNG or JPEG file");
  }
  if (img.width <= 0 || img.height <= 0) throw InputError(path + ": empty image");
  return img;
}

std::vector<std::uint8_t> resize_center_crop(const RgbImage& img, int size) {
  // Shorter side to `size`, the other in proportion (rounded), then the centre.
  const bool wide = img.width >= img.height;
  const int shorter = wide ? img.height : img.width, longer = wide ? img.width : img.height;
  const int scaled = std::max(size, static_cast<int>(std::lround(
                                        static_cast<double>(longer) * size / shorter)));
  const int out_w = wide ? scaled : size, out_h = wide ? size : scaled;
  const auto xs = axis_taps(img.width, out_w, (out_w - size) / 2, size);
  const auto ys = axis_taps(img.height, out_h, (out_h - size) / 2, size);

  // Horizontal pass over every input row, then vertical: separable filtering.
  std::vector<float> rows(static_cast<std::size_t>(img.height) * size * 3, 0.0f);
  for (int y = 0; y < img.height; ++y) {
    const std::uint8_t* src = img.pixels.data() + static_cast<std::size_t>(y) * img.width * 3;
    float* dst = rows.data() + static_cast<std::size_t>(y) * size * 3;
    for (int x = 0; x < size; ++x) {
      for (const Tap& t : xs[x]) {
        for (int c = 0; c < 3; ++c) dst[x * 3 + c] += t.weight * src[t.src * 3 + c];
      }
    }
  }
  const std::size_t plane = static_cast<std::size_t>(size) * size;
  std::vector<std::uint8_t> out(3 * plane);
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      for (int c = 0; c < 3; ++c) {
        float v = 0;
        for (const Tap& t : ys[y]) {
          v += t.weight * rows[(static_cast<std::size_t>(t.src) * size + x) * 3 + c];
        }
        out[c * plane + static_cast<std::size_t>(y) * size + x] =
            static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace cp::detail
