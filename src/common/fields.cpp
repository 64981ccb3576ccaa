#include "clusterprobe/common/fields.hpp"

#include <cstdio>
#include <cstdlib>

#include "clusterprobe/common/error.hpp"

namespace cp {

void put_field(std::string& out, const std::string& field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

void put_field(std::string& out, std::int64_t value) { put_field(out, std::to_string(value)); }

void put_field(std::string& out, double value) {
  char text[40];
  std::snprintf(text, sizeof text, "%.17g", value);  // round-trips every double
  put_field(out, std::string(text));
}

std::string FieldReader::text() {
  const std::size_t colon = bytes_.find(':', pos_);
  CP_ASSERT(colon != std::string::npos && colon > pos_ && colon - pos_ <= 19, "malformed field");
  std::size_t n = 0;
  for (std::size_t i = pos_; i < colon; ++i) {
    CP_ASSERT(bytes_[i] >= '0' && bytes_[i] <= '9', "malformed field length");
    n = n * 10 + static_cast<std::size_t>(bytes_[i] - '0');
  }
  CP_ASSERT(n <= bytes_.size() - colon - 1, "field runs past the end");
  std::string out = bytes_.substr(colon + 1, n);
  pos_ = colon + 1 + n;
  return out;
}

std::int64_t FieldReader::integer() {
  const std::string t = text();
  char* end = nullptr;
  const long long v = std::strtoll(t.c_str(), &end, 10);
  CP_ASSERT(!t.empty() && *end == '\0', "malformed integer field '" + t + "'");
  return v;
}

double FieldReader::number() {
  const std::string t = text();
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  CP_ASSERT(!t.empty() && *end == '\0', "malformed number field '" + t + "'");
  return v;
}

}  // namespace cp
