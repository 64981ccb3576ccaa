#include "terminal.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>
#include <streambuf>
#include <string>

#include "clusterprobe/common/text.hpp"

namespace cp::cli {
namespace {

// Long lines are not cut here: a table or a generated script is the user's
// output; only control characters change.
constexpr std::size_t kNoLineLimit = static_cast<std::size_t>(-1);

// One sputn downstream per chunk: std::cerr is unbuffered and a line written
// in pieces could interleave with another rank's in the launcher's output.
class PrintableBuf : public std::streambuf {
 public:
  explicit PrintableBuf(std::streambuf* sink) : sink_(sink) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const std::string out = printable(std::string_view(s, static_cast<std::size_t>(n)), kNoLineLimit);
    return sink_->sputn(out.data(), static_cast<std::streamsize>(out.size())) ==
                   static_cast<std::streamsize>(out.size())
               ? n
               : 0;
  }
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    const char ch = traits_type::to_char_type(c);
    return xsputn(&ch, 1) == 1 ? c : traits_type::eof();
  }
  int sync() override { return sink_->pubsync(); }

 private:
  std::streambuf* sink_;
};

class PrintableFormatter : public spdlog::formatter {
 public:
  explicit PrintableFormatter(std::string pattern)
      : pattern_(std::move(pattern)), inner_(std::make_unique<spdlog::pattern_formatter>(pattern_)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    spdlog::memory_buf_t raw;
    inner_->format(msg, raw);
    const std::string out = printable(std::string_view(raw.data(), raw.size()), kNoLineLimit);
    dest.append(out.data(), out.data() + out.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<PrintableFormatter>(pattern_);
  }

 private:
  std::string pattern_;
  std::unique_ptr<spdlog::formatter> inner_;
};

}  // namespace

void make_streams_printable() {
  // Static: the streams keep a pointer to their buffer until the process ends.
  static PrintableBuf out(std::cout.rdbuf());
  static PrintableBuf err(std::cerr.rdbuf());
  std::cout.rdbuf(&out);
  std::cerr.rdbuf(&err);
}

void set_printable_log_pattern(const std::string& pattern) {
  spdlog::set_formatter(std::make_unique<PrintableFormatter>(pattern));
}

}  // namespace cp::cli
