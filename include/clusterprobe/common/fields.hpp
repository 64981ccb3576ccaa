#pragma once
// Length-prefixed fields for lists that travel between ranks as bytes: any
// text (a layer name with a tab or a newline, a message with NULs) survives
// the round trip, unlike separator-based formats.
#include <cstdint>
#include <string>

namespace cp {

/// Appends one field ("<length>:<bytes>").
void put_field(std::string& out, const std::string& field);
void put_field(std::string& out, std::int64_t value);
void put_field(std::string& out, double value);

/// Reads fields back in the order they were put; InternalError on malformed input.
class FieldReader {
 public:
  explicit FieldReader(const std::string& bytes) : bytes_(bytes) {}
  bool done() const { return pos_ >= bytes_.size(); }
  std::string text();
  std::int64_t integer();
  double number();

 private:
  const std::string& bytes_;
  std::size_t pos_ = 0;
};

}  // namespace cp
