#include "clusterprobe/data/hierarchy.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "clusterprobe/common/yaml_reader.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/common/name_table.hpp"

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

// Where the file first names each of its fine classes, for messages.
struct Mention {
  std::string path;
  YAML::Node node;
};

// Relabels `h` by the dataset's labels. Matching by name, not position: a
// `classes` list in another order is the same hierarchy, and a name the
// dataset lacks (another dataset's hierarchy) is refused, never mislabelled.
Hierarchy bind_to_dataset(const Hierarchy& h, const std::vector<Mention>& where, const yamlr::Origins& o,
                          const DatasetClasses& d) {
  std::vector<int> label(h.fine_names.size());
  for (std::size_t f = 0; f < h.fine_names.size(); ++f) {
    const std::string& name = h.fine_names[f];
    const auto it = std::find(d.names.begin(), d.names.end(), name);
    if (it == d.names.end()) {
      const auto near = nearest_name(d.names, name);
      o.fail(where[f].path, where[f].node,
             "'" + name + "' is not a class of " + d.dataset + (near ? " (did you mean '" + *near + "'?)" : "") +
                 "; its classes: " + yamlr::join(d.names));
    }
    label[f] = static_cast<int>(it - d.names.begin());
  }
  Hierarchy out;
  out.name = h.name;
  out.fine_names = d.names;
  out.coarse_names = h.coarse_names;
  out.fine_to_coarse.assign(d.names.size(), -1);
  for (std::size_t f = 0; f < label.size(); ++f) out.fine_to_coarse[label[f]] = h.fine_to_coarse[f];
  for (const auto& members : h.subclasses) {
    std::vector<int> mapped;
    for (int f : members) mapped.push_back(label[f]);
    std::sort(mapped.begin(), mapped.end());
    out.subclasses.push_back(std::move(mapped));
  }
  return out;
}

}  // namespace

int Hierarchy::num_used_fine() const {
  return static_cast<int>(
      std::count_if(fine_to_coarse.begin(), fine_to_coarse.end(), [](int c) { return c >= 0; }));
}

Hierarchy parse_hierarchy(const std::string& yaml_text, const std::string& origin, const DatasetClasses* dataset) {
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
  std::vector<Mention> where;
  if (listed) {
    std::vector<YAML::Node> nodes;
    top.get_list("classes", h.fine_names, ListRule{false, false, nullptr}, &nodes);
    for (const auto& n : nodes) where.push_back({top.key_path("classes"), n});
  }
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
          where.push_back({path, item});
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
  return dataset ? bind_to_dataset(h, where, o, *dataset) : h;
}

namespace {
constexpr std::uintmax_t kMaxHierarchyBytes = std::uintmax_t{16} << 20;  // CIFAR-100's is 4 KiB
}  // namespace

Hierarchy load_hierarchy(const std::string& path, const DatasetClasses* dataset) {
  return parse_hierarchy(read_regular_input(path, "hierarchy file", ErrorKind::input, kMaxHierarchyBytes), path,
                         dataset);
}

}  // namespace cp
