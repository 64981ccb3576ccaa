#pragma once
// The study file: what a study trains, extracts and clusters.
//
// A study file is YAML (see configs/quickstart.yaml and the README's "Study file").
// Loading does no MPI work, so every rank can validate the same file and all
// ranks fail together, before the first collective call. The sections a run
// carries are in sections.hpp, those another module owns beside it
// (cluster/params.hpp, slurm/config.hpp).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/cluster/params.hpp"
#include "clusterprobe/config/sections.hpp"
#include "clusterprobe/metrics/measure.hpp"
#include "clusterprobe/report/finding.hpp"
#include "clusterprobe/slurm/config.hpp"

namespace cp {

/// Local. `text` as a YAML double-quoted scalar: a value for a key=value
/// override that stays one string whatever characters it holds.
std::string yaml_quoted(const std::string& text);

/// The grid axes; the runs are their cartesian product.
struct GridConfig {
  std::vector<std::string> dataset;        ///< see data/dataset.hpp: fmnist/, cifar10/, cifar100/, images/, synthetic/gmm, synthetic/synthclust
  std::vector<std::string> architecture;   ///< see models/registry.hpp (mlp, cnn, resnet20, vit, ...)
  std::vector<std::string> normalization;  ///< batch | layer | group | none
  /// none | fine:<dataset> | coarse:<dataset> | torchscript:<path>
  std::vector<std::string> pretraining{"none"};
  std::vector<int> seed{0};
  /// What the network is trained on: coarse | fine (study file: train.labels,
  /// a name or a list; a list makes it one more axis).
  std::vector<std::string> labels{"coarse"};
};

/// A value of the study file that another subsystem owns (a dataset spec, an
/// architecture, a probe point, ...), with where it came from, so that the
/// planning step can check it and name the file, line and key.
struct SourcedName {
  std::string key;    ///< dotted key, e.g. grid.dataset
  std::string value;
  std::string where;  ///< "file:line" or "override '<text>'"
};

struct StudyConfig {
  std::string study;            ///< study name
  std::string output;           ///< output directory (relative to the working directory)
  std::string source_path;      ///< the study file it was loaded from
  GridConfig grid;
  TrainConfig train;
  ExtractConfig extract;
  ClusterParams cluster;        ///< the cluster: section (cluster/params.hpp)
  std::vector<Measure> metrics{Measure::ami, Measure::ari, Measure::nmi, Measure::accuracy};
  ParallelConfig parallel;
  DataConfig data;
  SlurmConfig slurm;            ///< only `clusterprobe slurm` reads it
  std::vector<Finding> findings;  ///< what the study sets out to reproduce: the report's verdicts
  /// report.runs: runs whose own lines the figures draw beside the per-level
  /// panels of a large study (at most 12 run ids).
  std::vector<std::string> report_runs;
  std::string resolved_yaml;    ///< the whole resolved configuration, as YAML text
  std::vector<SourcedName> names;  ///< for the planning step's checks
};

/// The largest study file read (README "Study file"); a real one is a few KiB.
inline constexpr std::uintmax_t kMaxStudyFileBytes = std::uintmax_t{16} << 20;  ///< 16 MiB

/// Local. Loads and validates a study file, then applies `key=value` overrides
/// (dotted keys, e.g. `train.epochs=1`, `grid.seed=[0,1]`). Throws ConfigError
/// naming the file, line and key for unknown keys, wrong types, empty axes and
/// impossible values. Names that other subsystems own (datasets,
/// architectures, probe points, preprocessing steps) are recorded with their
/// place in StudyConfig::names and checked by the planning step (plan/plan.hpp).
/// The file must be a regular file of at most kMaxStudyFileBytes (a FIFO or
/// /dev/zero is refused before it is opened).
StudyConfig load_study(const std::string& path, const std::vector<std::string>& overrides = {});

/// Local. Same, from YAML text; `origin` names the text in error messages.
StudyConfig parse_study(const std::string& yaml_text, const std::string& origin,
                        const std::vector<std::string>& overrides = {});

/// Local. The configuration of `analyze`: the defaults, `output_dir` as the
/// output (taken literally, whatever characters it holds), then overrides.
StudyConfig analysis_study(const std::string& output_dir, const std::vector<std::string>& overrides = {});

/// Local. What the cluster stage's results depend on (the cluster: and
/// metrics: sections, resolved): dotted key and value, in the study file's
/// order. Two studies whose settings are equal give the same metrics.
std::vector<std::pair<std::string, std::string>> clustering_settings(const StudyConfig& study);

}  // namespace cp
