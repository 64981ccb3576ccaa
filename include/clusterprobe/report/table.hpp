#pragma once
// A small text table that renders as aligned terminal text or as Markdown.
#include <string>
#include <vector>

namespace cp {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  std::string text() const;      ///< aligned columns, a rule under the header
  std::string markdown() const;  ///< a GitHub-flavoured Markdown table
  /// An HTML <table> (cells escaped) with <thead> and <tbody>, and `attributes` (e.g. class="...").
  std::string html(const std::string& attributes = "") const;
  /// Rows ordered by `rank` of their cell in `column` (smaller first), otherwise as added.
  void order_rows(std::size_t column, int (*rank)(const std::string&));
  bool empty() const { return rows_.empty(); }
  /// Removes column `name` when every row has "-" there (a measure no run
  /// has, such as the fine-label accuracy of a study without fine-label
  /// runs); says whether it did.
  bool drop_blank_column(const std::string& name);
  std::size_t rows() const { return rows_.size(); }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// "0.8123", or "-" for NaN (a value that does not exist).
std::string fixed(double value, int digits = 4);

}  // namespace cp
