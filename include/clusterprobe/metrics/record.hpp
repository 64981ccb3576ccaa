#pragma once
// Results of the cluster stage: one metric value, or one clustering.
// Both travel between ranks as Boost.Serialization archives.
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

/// One row of metrics.h5's /metrics table and of metrics.csv.
struct MetricRecord {
  std::string run_id;
  std::string layer;
  std::int32_t epoch = 0;
  std::string scope;    ///< superclass id ("0", "1", ...), "global", or "mean"
  std::string method;   ///< a clustering method (kmeans, spectral, ssc), or labels, ssc, cka for measures
  std::string metric;   ///< ami | ari | nmi | accuracy | e2e_accuracy | silhouette_* | nc1_* ...
  double value = 0;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & layer & epoch & scope & method & metric & value;
  }
};

/// The cluster id of each clustered row, so anyone can recompute a metric.
struct AssignmentRecord {
  std::string run_id;
  std::string layer;
  std::int32_t epoch = 0;
  std::string scope;
  std::string method;
  std::vector<std::int64_t> rows;    ///< row numbers in the activations file
  std::vector<std::int32_t> labels;  ///< cluster id per row

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & layer & epoch & scope & method & rows & labels;
  }
};

/// A labelled matrix, e.g. linear CKA between every pair of a run's layers.
struct SimilarityRecord {
  std::string run_id;
  std::string name;                 ///< linear_cka_layers | ssc_cka_layers | ...
  std::vector<std::string> rows, cols;  ///< labels, e.g. layer names or "<layer>@<epoch>"
  std::vector<double> values;       ///< rows x cols, row-major

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & name & rows & cols & values;
  }
};

/// A work item of the cluster stage that could not be scored (a matrix with
/// NaN/Inf, too few rows, an unreadable file): recorded, and the stage goes on.
struct FailureRecord {
  std::string run_id;
  std::string layer;        ///< "*" for a run's layer-similarity item
  std::int32_t epoch = 0;
  std::string file;
  std::string message;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & layer & epoch & file & message;
  }
};

/// A run's penultimate probe point (the neural-collapse layer), as its
/// activations file records it; the report's "penult." columns read it.
struct PenultimateRecord {
  std::string run_id;
  std::string layer;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & layer;
  }
};

struct RecordBatch {
  std::vector<MetricRecord> metrics;
  std::vector<AssignmentRecord> assignments;
  std::vector<SimilarityRecord> similarities;
  std::vector<FailureRecord> failures;
  std::vector<PenultimateRecord> penultimate;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & metrics & assignments & similarities & failures & penultimate;
  }
  void append(RecordBatch&& other);
};

/// Local. Binary Boost.Serialization archive of a batch, and back.
std::string serialize_batch(const RecordBatch& batch);
RecordBatch deserialize_batch(const std::string& bytes);

}  // namespace cp
