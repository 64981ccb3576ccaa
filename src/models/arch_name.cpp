#include "arch_name.hpp"

#include <cmath>
#include <cstdlib>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/registry.hpp"

namespace cp::zoo {
namespace {

std::vector<std::string> split_dashes(const std::string& s) {
  std::vector<std::string> parts{""};
  for (char c : s) {
    if (c == '-') parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A positive integer written canonically (no sign, no leading zero), so each
// model has exactly one name: "resnet08" is not a second spelling of resnet8.
bool parse_count(const std::string& s, int* v) {
  if (!all_digits(s) || s[0] == '0' || s.size() > 6) return false;
  *v = std::atoi(s.c_str());
  return true;
}

// The width factor k of -w<k>: digits with an optional decimal part, > 0.
// Exponents and signs are refused so the name stays readable in file names.
bool parse_factor(const std::string& s, double* v) {
  const auto dot = s.find('.');
  const std::string whole = s.substr(0, dot);
  if (!all_digits(whole) || s.size() > 12) return false;
  if (dot != std::string::npos && !all_digits(s.substr(dot + 1))) return false;
  *v = std::strtod(s.c_str(), nullptr);
  return *v > 0 && std::isfinite(*v);
}

// The options after "resnet<d>" or "vgg<d>": nothing or a single -w<k>.
bool parse_width_options(const std::vector<std::string>& parts, ArchName* a, std::string* why) {
  if (parts.size() == 1) return true;
  if (parts.size() == 2 && parts[1].size() > 1 && parts[1][0] == 'w' &&
      parse_factor(parts[1].substr(1), &a->width)) {
    return true;
  }
  *why = "the only option is -w<k> with k a positive number, e.g. -w2 or -w0.5";
  return false;
}

bool parse_vit(const std::vector<std::string>& parts, ArchName* a, std::string* why) {
  a->family = Family::vit;
  a->depth = 6;
  // Options in the grammar's order, each at most once, so one model has one name.
  const std::string order = "pdwh";
  std::size_t next = 0;  // first option letter still allowed
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (i + 1 == parts.size() && (p == "cls" || p == "mean")) {
      a->cls_token = p == "cls";
      break;
    }
    const auto pos = p.empty() ? std::string::npos : order.find(p[0], next);
    int value = 0;
    if (pos == std::string::npos || !parse_count(p.substr(1), &value)) {
      *why = "vit options are -p<patch> -d<depth> -w<width> -h<heads> -cls|-mean, "
             "positive integers, in this order";
      return false;
    }
    next = pos + 1;
    int* fields[] = {&a->patch, &a->depth, &a->embed_dim, &a->heads};
    *fields[pos] = value;
  }
  if (a->embed_dim % a->heads != 0) {
    *why = "vit width " + std::to_string(a->embed_dim) + " is not divisible by " +
           std::to_string(a->heads) + " heads";
    return false;
  }
  return true;
}

}  // namespace

bool parse_arch_name(const std::string& name, ArchName* out, std::string* why) {
  why->clear();
  ArchName a;
  const auto parts = split_dashes(name);
  const std::string& base = parts[0];
  bool ok = false;
  if (base == "mlp" || base == "cnn" || base == "torchscript") {
    a.family = base == "mlp" ? Family::mlp : base == "cnn" ? Family::cnn : Family::torchscript;
    ok = parts.size() == 1;
    if (!ok) *why = base + " takes no options";
  } else if (base == "vit") {
    ok = parse_vit(parts, &a, why);
  } else if (base.rfind("resnet", 0) == 0) {
    ok = parse_count(base.substr(6), &a.depth) &&
         (a.depth == 18 || (a.depth >= 8 && (a.depth - 2) % 6 == 0));
    if (!ok) *why = "resnet depth must be 6n+2 (8, 14, 20, 32, ...) or 18";
    a.family = a.depth == 18 ? Family::resnet18 : Family::cifar_resnet;
    ok = ok && parse_width_options(parts, &a, why);
  } else if (base.rfind("vgg", 0) == 0) {
    ok = parse_count(base.substr(3), &a.depth) &&
         (a.depth == 11 || a.depth == 13 || a.depth == 16 || a.depth == 19);
    if (!ok) *why = "vgg depth must be 11, 13, 16 or 19";
    a.family = Family::vgg;
    ok = ok && parse_width_options(parts, &a, why);
  }
  if (ok) *out = a;
  return ok;
}

ArchName parse_arch_name_or_throw(const std::string& name) {
  ArchName a;
  std::string why;
  if (parse_arch_name(name, &a, &why)) return a;
  std::string families;
  for (const auto& f : architecture_families()) families += (families.empty() ? "" : ", ") + f;
  throw ConfigError("unknown architecture '" + name + "'" + (why.empty() ? "" : " (" + why + ")") +
                    ": expected one of " + families);
}

std::int64_t scaled_width(std::int64_t base, double k) {
  return std::max<std::int64_t>(1, std::llround(static_cast<double>(base) * k));
}

int resnet_stage_count(const ArchName& a) { return a.family == Family::resnet18 ? 4 : 3; }

int resnet_blocks_per_stage(const ArchName& a) {
  return a.family == Family::resnet18 ? 2 : (a.depth - 2) / 6;
}

}  // namespace cp::zoo
