#pragma once
// <out>/metrics.h5 and <out>/metrics.csv.
//   /metrics/{run_id, layer, scope, method, metric} strings [M]
//   /metrics/epoch int32 [M], /metrics/value float64 [M]
//   /assignments/<n>  int32 [rows] cluster ids, attrs run_id, layer, epoch,
//                     scope, method; /assignments/<n>_rows int64 [rows]
//   /similarity/<run_id>/<name> float64 [R, C] with <name>_rows, <name>_cols strings
//   /failures/{run_id, layer, file, message} strings [F], /failures/epoch int32 [F]:
//                     the work items that could not be scored, and why
//   /penultimate/{run_id, layer} strings: each run's penultimate probe point
//   /sources/{run_id, trained} strings: the training each run's metrics were
//                     scored from (training_stamp() of its activations file)
//   metrics.csv: run_id,layer,epoch,scope,method,metric,value (%.17g values)
#include <string>
#include <vector>

#include "clusterprobe/metrics/record.hpp"

namespace cp {

/// Local (call on one rank). Writes both files under tmp names, then renames.
void write_metrics(const std::string& out_dir, const RecordBatch& batch,
                   const std::string& config_yaml);

/// Local. Reads /metrics back (for the report and tests).
std::vector<MetricRecord> read_metrics(const std::string& h5_path);

/// What the report reads, in one pass over metrics.h5: the metrics, the
/// failed items, each run's penultimate layer, the similarity matrices and
/// the trainings scored (the last four empty for files written before they
/// existed).
struct MetricsTables {
  std::vector<MetricRecord> metrics;
  std::vector<FailureRecord> failures;
  std::vector<PenultimateRecord> penultimate;
  std::vector<SimilarityRecord> similarities;
  std::vector<SourceRecord> sources;
};

/// Local. Throws InputError naming the file and object for a malformed file.
MetricsTables read_metrics_tables(const std::string& h5_path);

/// Local. Reads every /assignments entry back.
std::vector<AssignmentRecord> read_assignments(const std::string& h5_path);

}  // namespace cp
