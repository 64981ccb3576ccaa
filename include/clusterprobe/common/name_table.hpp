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

}  // namespace cp
