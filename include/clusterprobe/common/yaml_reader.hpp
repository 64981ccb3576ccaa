#pragma once
// Strict reading of YAML documents (study files, hierarchy files): every key
// must be known, every value has exactly one accepted type and range, and
// every error names the file (or the override), the line and the dotted key.
// For the library's readers of YAML files (config/, data/).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace cp::yamlr {

/// Which error type a document's problems raise: a study file is the user's
/// configuration (ConfigError), a hierarchy file is an input (InputError).
enum class Blame { config, input };

/// Where each part of a document came from: its file, or a command-line
/// override that replaced or created the subtree at a dotted path.
class Origins {
 public:
  Origins(std::string origin, Blame blame) : origin_(std::move(origin)), blame_(blame) {}

  const std::string& origin() const { return origin_; }

  /// Records that `path` (and everything below it) now comes from override `text`.
  void set_by_override(const std::string& path, const std::string& text);

  /// "file:line" of `node`, or "override '<text>'" when `path` was overridden.
  std::string where(const std::string& path, const YAML::Node& node) const;

  /// Throws "<where>: <path>: <problem>".
  [[noreturn]] void fail(const std::string& path, const YAML::Node& node,
                         const std::string& problem) const;
  /// Throws "<location>: <path>: <problem>" for a location that is not a node.
  [[noreturn]] void fail_at(const std::string& location, const std::string& path,
                            const std::string& problem) const;

 private:
  std::string origin_;
  Blame blame_;
  std::vector<std::pair<std::string, std::string>> overrides_;  ///< (path, override text)
};

/// Parses `text` as one YAML document; syntax errors name origin and line.
YAML::Node load_document(const std::string& text, const Origins& origins);

/// Inclusive integer bounds.
struct IntRange {
  std::int64_t lo = std::numeric_limits<int>::min();
  std::int64_t hi = std::numeric_limits<int>::max();
  static IntRange at_least(std::int64_t lo, std::int64_t hi = std::numeric_limits<int>::max()) {
    return {lo, hi};
  }
};

/// Real bounds, each end open or closed.
struct RealRange {
  double lo = -std::numeric_limits<double>::infinity();
  bool lo_open = false;
  double hi = std::numeric_limits<double>::infinity();
  bool hi_open = false;
  static RealRange above(double lo) { return {lo, true, RealRange{}.hi, false}; }
  static RealRange at_least(double lo) { return {lo, false, RealRange{}.hi, false}; }
  static RealRange half_open(double lo, double hi) { return {lo, false, hi, true}; }
};

/// How a list-valued key may be written.
struct ListRule {
  bool scalar_ok = true;                              ///< a scalar counts as a one-element list
  bool empty_ok = false;                              ///< [] is accepted
  const std::vector<std::string>* choices = nullptr;  ///< allowed values, null = any
};

/// "'abc'", "a list", "a mapping" or "nothing": what the user actually wrote.
std::string describe(const YAML::Node& node);

/// Conversions of one node; `path` names it in errors.
std::string as_string(const Origins& o, const std::string& path, const YAML::Node& node);
std::int64_t as_int(const Origins& o, const std::string& path, const YAML::Node& node,
                    IntRange range);
double as_real(const Origins& o, const std::string& path, const YAML::Node& node, RealRange range);
/// The elements of a sequence (or the scalar itself, if rule.scalar_ok).
std::vector<YAML::Node> as_list(const Origins& o, const std::string& path, const YAML::Node& node,
                                const ListRule& rule);

/// Shortest text that reads back as the same double, always with a '.'.
std::string format_real(double v);

/// Joins names with ", " for "known: ..." hints.
std::string join(const std::vector<std::string>& names);

/// A mapping being read. Construction rejects non-mappings, duplicate keys and
/// keys outside `known`; a missing or null node reads as an empty mapping.
/// Getters leave their output untouched when the key is absent, so the
/// struct's defaults stand.
class Map {
 public:
  /// `known` lists the accepted keys; an empty list accepts any (prefer open()).
  Map(const Origins& o, const YAML::Node& node, std::string path, std::vector<std::string> known);
  /// A mapping whose keys are data (e.g. superclass names): any key accepted.
  static Map open(const Origins& o, const YAML::Node& node, std::string path);

  std::string key_path(const std::string& key) const;
  bool has(const std::string& key) const { return find(key) != nullptr; }
  /// The value of `key`, or null when absent.
  const YAML::Node* find(const std::string& key) const;
  /// Entries in document order: (key, key node, value node).
  struct Entry {
    std::string key;
    YAML::Node key_node, value;
  };
  const std::vector<Entry>& entries() const { return entries_; }

  /// The nested mapping at `key` (empty when absent).
  Map map(const std::string& key, std::vector<std::string> known) const;

  void require(const std::string& key) const;
  [[noreturn]] void fail(const std::string& key, const std::string& problem) const;
  /// "file:line" (or the override) of one element of the list under `key`.
  std::string where(const std::string& key, const YAML::Node& item) const;
  /// Fails at one element (`item`) of the list under `key`.
  [[noreturn]] void fail_item(const std::string& key, const YAML::Node& item,
                              const std::string& problem) const;

  void get(const std::string& key, std::string& out) const;
  void get(const std::string& key, bool& out) const;
  void get(const std::string& key, int& out, IntRange range = {}) const;
  void get(const std::string& key, std::int64_t& out, IntRange range) const;
  void get(const std::string& key, double& out, RealRange range) const;
  void get_choice(const std::string& key, std::string& out,
                  const std::vector<std::string>& choices) const;
  /// Distinct strings; nodes of the elements go to `nodes` (for later checks).
  void get_list(const std::string& key, std::vector<std::string>& out, ListRule rule,
                std::vector<YAML::Node>* nodes = nullptr) const;
  void get_int_list(const std::string& key, std::vector<int>& out, IntRange range,
                    ListRule rule) const;

 private:
  Map(const Origins& o, const YAML::Node& node, std::string path);
  void check_known(const std::vector<std::string>& known) const;
  const Entry* entry(const std::string& key) const;
  /// The value of `key` for a getter: null when absent, an error when empty.
  const YAML::Node* value_of(const std::string& key) const;

  const Origins* o_;
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
};

}  // namespace cp::yamlr
