#include "findings_section.hpp"

#include <algorithm>
#include <set>

namespace cp::detail {
namespace {

using yamlr::ListRule;
using yamlr::Map;
using yamlr::RealRange;

Finding read_one(const Map& m, const std::vector<std::string>& datasets) {
  Finding f;
  m.require("name");
  m.get("name", f.name);
  m.get("claim", f.claim);
  m.get("source", f.source);
  m.get_choice("kind", f.kind, {"difference", "ratio"});
  m.get_choice("at", f.at, {"penultimate", "best"});
  if (f.kind == "difference") {
    for (const char* key : {"axis", "better", "worse"}) m.require(key);
    m.get_choice("axis", f.axis, finding_axes());
    m.get("better", f.better);
    m.get("worse", f.worse);
    if (f.better == f.worse) m.fail("worse", "is the same level as better: '" + f.better + "'");
    m.get_choice("metric", f.metric, {"ami", "e2e_accuracy"});
    for (const char* key : {"expected", "tolerance", "dataset"})
      if (m.has(key)) m.fail(key, "belongs to a ratio finding (kind: ratio)");
  } else {
    for (const char* key : {"expected", "tolerance"}) m.require(key);
    m.get("expected", f.expected, RealRange{0.0, false, 10.0, false});
    m.get("tolerance", f.tolerance, RealRange{0.0, false, 10.0, false});
    for (const char* key : {"axis", "better", "worse", "metric"})
      if (m.has(key)) m.fail(key, "belongs to a difference finding (kind: difference)");
    m.get("dataset", f.dataset);
    // A misspelt spec would match no run and pass as "not tested here".
    if (!f.dataset.empty() && std::find(datasets.begin(), datasets.end(), f.dataset) == datasets.end())
      m.fail("dataset", "'" + f.dataset + "' is not a dataset of the grid");
    f.metric = "e2e_accuracy";
  }
  return f;
}

}  // namespace

void read_findings(const yamlr::Origins& o, const Map& top, const std::vector<std::string>& datasets,
                   std::vector<Finding>& out) {
  const YAML::Node* list = top.find("findings");
  if (!list) return;
  std::set<std::string> names;
  std::size_t i = 0;
  for (const YAML::Node& node : yamlr::as_list(o, "findings", *list, ListRule{false, true})) {
    const Map m(o, node, "findings[" + std::to_string(i++) + "]",
                {"name", "claim", "source", "kind", "axis", "better", "worse", "metric", "at", "expected",
                 "tolerance", "dataset"});
    out.push_back(read_one(m, datasets));
    if (!names.insert(out.back().name).second) m.fail("name", "'" + out.back().name + "' names two findings");
  }
}

void read_report(const Map& top, std::vector<std::string>& runs) {
  const Map m = top.map("report", {"runs"});
  std::vector<YAML::Node> nodes;
  m.get_list("runs", runs, ListRule{true, true}, &nodes);
  // More lines than a legend can hold is what the per-level panels replace.
  if (runs.size() > 12) m.fail("runs", "names " + std::to_string(runs.size()) + " runs; at most 12 fit one figure");
  for (std::size_t i = 0; i < runs.size(); ++i)
    if (runs[i].size() != 16 || runs[i].find_first_not_of("0123456789abcdef") != std::string::npos)
      m.fail_item("runs", nodes[i], "'" + runs[i] + "' is not a run id (16 hexadecimal digits, as `clusterprobe plan` prints)");
}

void emit_report(YAML::Emitter& out, const std::vector<std::string>& runs) {
  if (runs.empty()) return;
  out << YAML::Key << "report" << YAML::Value << YAML::BeginMap << YAML::Key << "runs" << YAML::Value << YAML::Flow
      << YAML::BeginSeq;
  for (const auto& r : runs) out << r;
  out << YAML::EndSeq << YAML::EndMap;
}

void emit_findings(YAML::Emitter& out, const std::vector<Finding>& findings) {
  if (findings.empty()) return;
  out << YAML::Key << "findings" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : findings) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << f.name;
    out << YAML::Key << "claim" << YAML::Value << YAML::DoubleQuoted << f.claim;
    out << YAML::Key << "source" << YAML::Value << YAML::DoubleQuoted << f.source;
    out << YAML::Key << "kind" << YAML::Value << f.kind;
    out << YAML::Key << "at" << YAML::Value << f.at;
    if (f.kind == "difference") {
      out << YAML::Key << "axis" << YAML::Value << f.axis;
      out << YAML::Key << "better" << YAML::Value << YAML::DoubleQuoted << f.better;
      out << YAML::Key << "worse" << YAML::Value << YAML::DoubleQuoted << f.worse;
      out << YAML::Key << "metric" << YAML::Value << f.metric;
    } else {
      out << YAML::Key << "expected" << YAML::Value << f.expected;
      out << YAML::Key << "tolerance" << YAML::Value << f.tolerance;
      if (!f.dataset.empty()) out << YAML::Key << "dataset" << YAML::Value << YAML::DoubleQuoted << f.dataset;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

}  // namespace cp::detail
