#include "clusterprobe/data/hierarchy.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "clusterprobe/common/yaml_reader.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"

namespace cp {
namespace {

using yamlr::ListRule;
using yamlr::Map;

// A superclass member is a class name, or a fine label written as an integer.
int class_label(const yamlr::Origins& o, const std::string& path, const YAML::Node& item,
                const std::vector<std::string>& names) {
  const std::string s = yamlr::as_string(o, path, item);
  const auto it = std::find(names.begin(), names.end(), s);
  if (it != names.end()) return static_cast<int>(it - names.begin());
  const bool digits = !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return c >= '0' && c <= '9';
  });
  if (digits && s.size() < 10 && std::stoi(s) < static_cast<int>(names.size())) return std::stoi(s);
  o.fail(path, item, "unknown class '" + s + "' (classes: " + yamlr::join(names) + ")");
}

}  // namespace

int Hierarchy::num_used_fine() const {
  return static_cast<int>(
      std::count_if(fine_to_coarse.begin(), fine_to_coarse.end(), [](int c) { return c >= 0; }));
}

Hierarchy parse_hierarchy(const std::string& yaml_text, const std::string& origin) {
  const yamlr::Origins o(origin, yamlr::Blame::input);
  const YAML::Node root = yamlr::load_document(yaml_text, o);
  const Map top(o, root, "", {"name", "classes", "superclasses"});
  Hierarchy h;
  top.require("name");
  top.get("name", h.name);
  if (h.name.empty()) top.fail("name", "must not be empty");
  // Without `classes` (the BREEDS form) the subclasses define the fine classes,
  // labelled in order of appearance; members are then names, never labels.
  const bool listed = top.has("classes");
  if (listed) top.get_list("classes", h.fine_names, ListRule{false, false, nullptr});
  top.require("superclasses");
  const Map sup = Map::open(o, *top.find("superclasses"), "superclasses");
  if (sup.entries().empty()) top.fail("superclasses", "must name at least one superclass");

  h.fine_to_coarse.assign(h.fine_names.size(), -1);
  for (const auto& entry : sup.entries()) {
    const int coarse = h.num_coarse();
    const std::string path = sup.key_path(entry.key);
    if (entry.value.IsNull() || (entry.value.IsSequence() && entry.value.size() == 0)) {
      o.fail(path, entry.key_node, "empty superclass: list at least one class");
    }
    h.coarse_names.push_back(entry.key);
    std::vector<int> members;
    for (const auto& item : yamlr::as_list(o, path, entry.value, ListRule{true, false, nullptr})) {
      int fine = 0;
      if (listed) {
        fine = class_label(o, path, item, h.fine_names);
      } else {
        const std::string name = yamlr::as_string(o, path, item);
        const auto it = std::find(h.fine_names.begin(), h.fine_names.end(), name);
        fine = static_cast<int>(it - h.fine_names.begin());
        if (it == h.fine_names.end()) {
          h.fine_names.push_back(name);
          h.fine_to_coarse.push_back(-1);
        }
      }
      const int owner = h.fine_to_coarse[fine];
      if (owner == coarse) o.fail(path, item, "class '" + h.fine_names[fine] + "' listed twice");
      if (owner >= 0) {
        o.fail(path, item,
               "class '" + h.fine_names[fine] + "' is already in superclass '" +
                   h.coarse_names[owner] + "'");
      }
      h.fine_to_coarse[fine] = coarse;
      members.push_back(fine);
    }
    std::sort(members.begin(), members.end());
    h.subclasses.push_back(std::move(members));
  }
  return h;
}

namespace {
constexpr std::uintmax_t kMaxHierarchyBytes = std::uintmax_t{16} << 20;  // CIFAR-100's is 4 KiB
}  // namespace

Hierarchy load_hierarchy(const std::string& path) {
  return parse_hierarchy(read_regular_input(path, "hierarchy file", ErrorKind::input, kMaxHierarchyBytes), path);
}

}  // namespace cp
