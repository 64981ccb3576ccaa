#include "clusterprobe/common/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/text.hpp"

namespace cp::yamlr {
namespace {

bool is_under(const std::string& path, const std::string& prefix) {
  if (path.compare(0, prefix.size(), prefix) != 0) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

std::string shown(const std::string& path) { return path.empty() ? "(top level)" : path; }

const std::string& scalar_text(const Origins& o, const std::string& path, const YAML::Node& node,
                               const char* expected) {
  if (!node.IsScalar())
    o.fail(path, node, std::string("expected ") + expected + ", got " + describe(node));
  return node.Scalar();
}

// YAML allows an explicit '+'; std::from_chars does not.
const char* skip_plus(const std::string& s) {
  return s.c_str() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
}

}  // namespace

void Origins::set_by_override(const std::string& path, const std::string& text) {
  // A later override of a parent replaces the subtree, so deeper records die.
  overrides_.erase(std::remove_if(overrides_.begin(), overrides_.end(),
                                  [&](const auto& rec) { return is_under(rec.first, path); }),
                   overrides_.end());
  overrides_.emplace_back(path, text);
}

std::string Origins::where(const std::string& path, const YAML::Node& node) const {
  const std::pair<std::string, std::string>* best = nullptr;
  for (const auto& rec : overrides_) {
    if (is_under(path, rec.first) && (!best || rec.first.size() > best->first.size())) best = &rec;
  }
  if (best) return "override '" + best->second + "'";
  const YAML::Mark mark = node.IsDefined() ? node.Mark() : YAML::Mark::null_mark();
  return origin_ + ":" + std::to_string(mark.is_null() ? 1 : mark.line + 1);
}

void Origins::fail(const std::string& path, const YAML::Node& node,
                   const std::string& problem) const {
  fail_at(where(path, node), path, problem);
}

void Origins::fail_at(const std::string& location, const std::string& path,
                      const std::string& problem) const {
  const std::string msg = location + ": " + shown(path) + ": " + problem;
  if (blame_ == Blame::input) throw InputError(msg);
  throw ConfigError(msg);
}

YAML::Node load_document(const std::string& text, const Origins& o) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    // A syntax error has no key; "(syntax)" stands in for it.
    const int line = e.mark.is_null() ? 1 : e.mark.line + 1;
    o.fail_at(o.origin() + ":" + std::to_string(line), "(syntax)",
              e.msg + " (column " + std::to_string(e.mark.column + 1) + ")");
  }
  if (docs.size() > 1) {
    o.fail(std::string(), docs[1],
           "expected one YAML document, found " + std::to_string(docs.size()));
  }
  return docs.empty() ? YAML::Node() : docs.front();
}

std::string describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsScalar()) return quoted_excerpt(node.Scalar());
  if (node.IsSequence()) return "a list";
  return "a mapping";
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

std::string format_real(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, res.ptr);
  if (!std::isfinite(v)) return s;
  // Keep a '.' so that YAML 1.1 readers (PyYAML) see a float, not an int or a string.
  const auto e = s.find('e');
  if (s.find('.') == std::string::npos) s.insert(e == std::string::npos ? s.size() : e, ".0");
  return s;
}

std::string as_string(const Origins& o, const std::string& path, const YAML::Node& node) {
  return scalar_text(o, path, node, "a string");
}

std::int64_t as_int(const Origins& o, const std::string& path, const YAML::Node& node,
                    IntRange range) {
  const std::string& s = scalar_text(o, path, node, "an integer");
  std::int64_t v = 0;
  const char* end = s.c_str() + s.size();
  auto res = std::from_chars(skip_plus(s), end, v);
  if (res.ec != std::errc() || res.ptr != end) {
    o.fail(path, node, "expected an integer, got " + quoted_excerpt(s));
  }
  if (v < range.lo || v > range.hi) {
    // Only a bound no value can pass goes unsaid: 10^12 for an int field must
    // not read "must be >= 1".
    const bool open_top = range.hi >= std::numeric_limits<std::int64_t>::max() ||
                          (v < range.lo && range.hi >= std::numeric_limits<int>::max());
    o.fail(path, node,
           (open_top ? "must be >= " + std::to_string(range.lo)
                     : "must be in [" + std::to_string(range.lo) + ", " + std::to_string(range.hi) +
                           "]") +
               ", got " + s);
  }
  return v;
}

double as_real(const Origins& o, const std::string& path, const YAML::Node& node, RealRange r) {
  const std::string& s = scalar_text(o, path, node, "a number");
  double v = 0;
  const char* end = s.c_str() + s.size();
  auto res = std::from_chars(skip_plus(s), end, v);
  if (res.ec != std::errc() || res.ptr != end || !std::isfinite(v)) {
    o.fail(path, node, "expected a number, got " + quoted_excerpt(s));
  }
  const bool below = r.lo_open ? v <= r.lo : v < r.lo;
  const bool above = r.hi_open ? v >= r.hi : v > r.hi;
  if (below || above) {
    std::string want;
    if (std::isinf(r.hi)) {
      want = std::string(r.lo_open ? "> " : ">= ") + format_real(r.lo);
    } else {
      want = std::string("in ") + (r.lo_open ? "(" : "[") + format_real(r.lo) + ", " +
             format_real(r.hi) + (r.hi_open ? ")" : "]");
    }
    o.fail(path, node, "must be " + want + ", got " + s);
  }
  return v;
}

std::vector<YAML::Node> as_list(const Origins& o, const std::string& path, const YAML::Node& node,
                                const ListRule& rule) {
  if (node.IsScalar() && rule.scalar_ok) return {node};
  if (!node.IsSequence()) o.fail(path, node, "expected a list, got " + describe(node));
  if (node.size() == 0 && !rule.empty_ok) o.fail(path, node, "must not be an empty list");
  return std::vector<YAML::Node>(node.begin(), node.end());
}

Map::Map(const Origins& o, const YAML::Node& node, std::string path)
    : o_(&o), node_(node), path_(std::move(path)) {}

Map::Map(const Origins& o, const YAML::Node& node, std::string path, std::vector<std::string> known)
    : Map(o, node, std::move(path)) {
  if (!node_.IsDefined() || node_.IsNull()) return;
  if (!node_.IsMap()) o.fail(path_, node_, "expected a mapping, got " + describe(node_));
  for (auto it = node_.begin(); it != node_.end(); ++it) {
    if (!it->first.IsScalar()) {
      o.fail(path_, it->first, "keys must be plain names, got " + describe(it->first));
    }
    const std::string key = it->first.Scalar();
    if (find(key)) o.fail(key_path(key), it->first, "duplicate key");
    entries_.push_back({key, it->first, it->second});
  }
  check_known(known);
}

Map Map::open(const Origins& o, const YAML::Node& node, std::string path) {
  return Map(o, node, std::move(path), {});
}

void Map::check_known(const std::vector<std::string>& known) const {
  if (known.empty()) return;  // open mapping
  for (const auto& e : entries_) {
    if (std::find(known.begin(), known.end(), e.key) != known.end()) continue;
    o_->fail(key_path(e.key), e.key_node,
             "unknown key (known keys" +
                 (path_.empty() ? std::string(" at top level") : " of " + path_) + ": " +
                 join(known) + ")");
  }
}

std::string Map::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

const Map::Entry* Map::entry(const std::string& key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

const YAML::Node* Map::find(const std::string& key) const {
  const Entry* e = entry(key);
  return e ? &e->value : nullptr;
}

const YAML::Node* Map::value_of(const std::string& key) const {
  const Entry* e = entry(key);
  if (!e) return nullptr;
  // "key:" with nothing after it: the null's own mark is on the next line.
  if (e->value.IsNull()) o_->fail(key_path(key), e->key_node, "missing value");
  return &e->value;
}

Map Map::map(const std::string& key, std::vector<std::string> known) const {
  const Entry* e = entry(key);
  if (e && !e->value.IsNull()) return Map(*o_, e->value, key_path(key), std::move(known));
  // Absent or empty: errors about its (missing) keys point at the key, or at this mapping.
  return Map(*o_, e ? e->key_node : node_, key_path(key));
}

void Map::require(const std::string& key) const {
  if (!has(key)) o_->fail(key_path(key), node_, "missing required key");
}

void Map::fail(const std::string& key, const std::string& problem) const {
  const Entry* e = entry(key);
  if (!e) o_->fail(key_path(key), node_, problem);
  o_->fail(key_path(key), e->value.IsNull() ? e->key_node : e->value, problem);
}

std::string Map::where(const std::string& key, const YAML::Node& item) const {
  return o_->where(key_path(key), item);
}

void Map::fail_item(const std::string& key, const YAML::Node& item,
                    const std::string& problem) const {
  o_->fail(key_path(key), item, problem);
}

void Map::get(const std::string& key, std::string& out) const {
  if (const YAML::Node* v = value_of(key)) out = as_string(*o_, key_path(key), *v);
}

void Map::get(const std::string& key, bool& out) const {
  if (const YAML::Node* v = value_of(key)) {
    const std::string s = scalar_text(*o_, key_path(key), *v, "true or false");
    if (s == "true") out = true;
    else if (s == "false") out = false;
    else o_->fail(key_path(key), *v, "expected true or false, got " + quoted_excerpt(s));
  }
}

void Map::get(const std::string& key, int& out, IntRange range) const {
  if (const YAML::Node* v = value_of(key)) {
    out = static_cast<int>(as_int(*o_, key_path(key), *v, range));
  }
}

void Map::get(const std::string& key, std::int64_t& out, IntRange range) const {
  if (const YAML::Node* v = value_of(key)) out = as_int(*o_, key_path(key), *v, range);
}

void Map::get(const std::string& key, double& out, RealRange range) const {
  if (const YAML::Node* v = value_of(key)) out = as_real(*o_, key_path(key), *v, range);
}

void Map::get_choice(const std::string& key, std::string& out,
                     const std::vector<std::string>& choices) const {
  const YAML::Node* v = value_of(key);
  if (!v) return;
  std::string s = as_string(*o_, key_path(key), *v);
  if (std::find(choices.begin(), choices.end(), s) == choices.end()) {
    o_->fail(key_path(key), *v, "unknown value " + quoted_excerpt(s) + " (known: " + join(choices) + ")");
  }
  out = std::move(s);
}

void Map::get_list(const std::string& key, std::vector<std::string>& out, ListRule rule,
                   std::vector<YAML::Node>* nodes) const {
  const YAML::Node* v = value_of(key);
  if (!v) return;
  const std::string kp = key_path(key);
  std::vector<YAML::Node> items = as_list(*o_, kp, *v, rule);
  std::vector<std::string> values;
  for (const auto& item : items) {
    std::string s = as_string(*o_, kp, item);
    if (rule.choices &&
        std::find(rule.choices->begin(), rule.choices->end(), s) == rule.choices->end()) {
      o_->fail(kp, item, "unknown value " + quoted_excerpt(s) + " (known: " + join(*rule.choices) + ")");
    }
    // A repeated value would only repeat work (or runs with the same id).
    if (std::find(values.begin(), values.end(), s) != values.end()) {
      o_->fail(kp, item, "duplicate value " + quoted_excerpt(s));
    }
    values.push_back(std::move(s));
  }
  out = std::move(values);
  if (nodes) *nodes = std::move(items);
}

void Map::get_int_list(const std::string& key, std::vector<int>& out, IntRange range,
                       ListRule rule) const {
  const YAML::Node* v = value_of(key);
  if (!v) return;
  const std::string kp = key_path(key);
  std::vector<int> values;
  for (const auto& item : as_list(*o_, kp, *v, rule)) {
    const int x = static_cast<int>(as_int(*o_, kp, item, range));
    if (std::find(values.begin(), values.end(), x) != values.end()) {
      o_->fail(kp, item, "duplicate value " + std::to_string(x));
    }
    values.push_back(x);
  }
  out = std::move(values);
}

}  // namespace cp::yamlr
