#pragma once
// An enum's one name table: the names of its values 0, 1, ... in order.
// Names are for files, the command line and messages; code uses the enum.
#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace cp {

/// Local. The value of enum E named `name` in `names`, or nothing.
template <class E>
std::optional<E> parse_name(const std::vector<std::string>& names, const std::string& name) {
  const auto it = std::find(names.begin(), names.end(), name);
  if (it == names.end()) return std::nullopt;
  return static_cast<E>(it - names.begin());
}

/// Local. The name of `value` in `names`.
template <class E>
const std::string& name_in(const std::vector<std::string>& names, E value) {
  return names[static_cast<std::size_t>(value)];
}

/// Local. Whether `list` has `value`.
template <class T>
bool contains(const std::vector<T>& list, const T& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

/// Local. Edits (insertions, deletions, substitutions) between two words.
inline std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

/// Local. The name of `names` nearest to `word`, if at most `max_edits` away: for "did you mean".
inline std::optional<std::string> nearest_name(const std::vector<std::string>& names, const std::string& word,
                                               std::size_t max_edits = 3) {
  std::optional<std::string> best;
  std::size_t best_d = max_edits + 1;
  for (const auto& n : names)
    if (const std::size_t d = edit_distance(word, n); d < best_d) best_d = d, best = n;
  return best;
}

}  // namespace cp
