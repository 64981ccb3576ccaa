#pragma once
// Results of the cluster stage: one metric value, or one clustering.
// Both travel between ranks as Boost.Serialization archives.
#include <cstdint>
#include <string>
#include <vector>

namespace cp {

/// The metrics table's names besides superclass ids ("0", "1", ...) and the
/// clustering methods (cluster/method.hpp): one table for what probe/ writes
/// and report/ reads. (The study file's measures, metrics/measure.hpp, name
/// what is asked for; a measure's values may have other names.)
namespace vocab {
// Scopes.
inline const std::string kMean = "mean";      ///< the mean over the superclasses
inline const std::string kGlobal = "global";  ///< all rows
// Methods of the values no clustering produced.
inline const std::string kLabels = "labels";  ///< measures of the labels themselves
inline const std::string kCka = "cka";        ///< layer similarity
inline const std::string kSsc = "ssc";        ///< community structure of the SSC graph
// Metrics.
inline const std::string kAmi = "ami";
inline const std::string kAri = "ari";
inline const std::string kNmi = "nmi";
inline const std::string kAccuracy = "accuracy";  ///< within-superclass, Hungarian-matched
inline const std::string kE2eAccuracy = "e2e_accuracy";
inline const std::string kSamplePoints = "sample_points";  ///< rows of a sample that is not all rows
inline const std::string kSilhouetteCosine = "silhouette_cosine";
inline const std::string kNc1Fine = "nc1_fine";
inline const std::string kSubclassSelectivity = "subclass_selectivity";
inline const std::string kModularity = "modularity";
inline const std::string kClassAffinityRatio = "class_affinity_ratio";
inline const std::string kLinearCkaFinal = "linear_cka_final";
}  // namespace vocab

/// One row of metrics.h5's /metrics table and of metrics.csv.
struct MetricRecord {
  std::string run_id;
  std::string layer;
  std::int32_t epoch = 0;
  std::string scope;    ///< superclass id ("0", "1", ...), vocab::kGlobal or vocab::kMean
  std::string method;   ///< a clustering method, or vocab::kLabels, kSsc, kCka for measures
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

/// The training a run's metrics were scored from (training_stamp() of its
/// activations file when clustered): the report compares it with the file
/// there now, so metrics of a file trained again since are not shown as its.
struct SourceRecord {
  std::string run_id;
  std::string trained;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & run_id & trained;
  }
};

struct RecordBatch {
  std::vector<MetricRecord> metrics;
  std::vector<AssignmentRecord> assignments;
  std::vector<SimilarityRecord> similarities;
  std::vector<FailureRecord> failures;
  std::vector<PenultimateRecord> penultimate;
  std::vector<SourceRecord> sources;

  template <class Archive>
  void serialize(Archive& ar, unsigned /*version*/) {
    ar & metrics & assignments & similarities & failures & penultimate & sources;
  }
  void append(RecordBatch&& other);
};

/// Local. Binary Boost.Serialization archive of a batch, and back.
std::string serialize_batch(const RecordBatch& batch);
RecordBatch deserialize_batch(const std::string& bytes);

}  // namespace cp
