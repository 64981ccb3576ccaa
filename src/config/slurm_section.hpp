#pragma once
// The slurm: section of a study file, read and written apart from the rest:
// it says how a study is submitted, never what it computes (no run id sees it).
// Private to src/config.
#include <yaml-cpp/yaml.h>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/common/yaml_reader.hpp"

namespace cp::detail {

/// Reads slurm: from the study mapping `top`; errors name file, line and key.
void read_slurm(const yamlr::Map& top, SlurmConfig& slurm);

/// Writes the resolved slurm: section (defaults included) as one map entry.
void emit_slurm(YAML::Emitter& out, const SlurmConfig& slurm);

}  // namespace cp::detail
