#pragma once
// The findings: section of a study file (report/finding.hpp): what the study
// sets out to reproduce. Like slurm:, it never changes what is computed (no
// run id sees it); the report judges each finding. Private to src/config.
#include <yaml-cpp/yaml.h>

#include <vector>

#include "clusterprobe/common/yaml_reader.hpp"
#include "clusterprobe/report/finding.hpp"

namespace cp::detail {

/// Reads findings: (a list of mappings) from the study mapping `top`; errors
/// name file, line and key.
/// `datasets`: the grid's, which a ratio finding's `dataset` must be one of.
void read_findings(const yamlr::Origins& o, const yamlr::Map& top, const std::vector<std::string>& datasets,
                   std::vector<Finding>& out);

/// Reads report: {runs: [...]}: at most 12 run ids (16 hexadecimal digits).
void read_report(const yamlr::Map& top, std::vector<std::string>& runs);

/// Writes the resolved findings: (omitted when there are none).
void emit_findings(YAML::Emitter& out, const std::vector<Finding>& findings);

/// Writes report: (omitted when it names no run).
void emit_report(YAML::Emitter& out, const std::vector<std::string>& runs);

}  // namespace cp::detail
