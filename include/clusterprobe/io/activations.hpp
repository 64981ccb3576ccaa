#pragma once
// runs/<id>/activations.h5: the contract with offline analysis (README, "Outputs").
//
//   /            attrs: run_id, config (YAML), version, complete (0/1), + extras
//   /labels/fine, /labels/coarse   int32 [N]
//   /labels/index                  int64 [N]
//   /labels/predicted_coarse       int32 [N] (optional): the final network's superclass
//   /predicted_coarse/epoch_<e>    int32 [N] (optional): the network's superclass after epoch e
//   /epoch_<e>/<layer>             float32 or float16 [N, D], optionally deflated (chunked by rows)
//
// The writer works on `<path>.tmp` and renames it to `<path>` in commit(), so a
// crash never leaves a file at `<path>`, and the tmp file says complete=0.
#include <mpi.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/matrix.hpp"

namespace cp {

struct ActivationMeta {
  std::string run_id;
  std::string config_yaml;
  std::vector<std::pair<std::string, std::string>> string_attrs;  ///< extra root attributes
  std::vector<std::pair<std::string, double>> number_attrs;       ///< e.g. coarse_test_accuracy
  /// How write_layer stores matrices: IEEE half instead of float32, and a
  /// deflate level (0: none, contiguous; 1-9: chunked by rows, compressed).
  bool half = false;
  int deflate = 0;
};

class ActivationWriter {
 public:
  /// Collective over comm. Creates `<final_path>.tmp` with the MPI-IO driver
  /// (truncating a stale one) for `total_rows` probe samples. Rank 0 creates
  /// missing parent directories. Argument errors (here and in every write) are
  /// agreed on first, so all ranks throw the same exception together.
  ActivationWriter(const std::string& final_path, MPI_Comm comm, const ActivationMeta& meta,
                   std::int64_t total_rows);
  /// Collective (closing a parallel file is). Without commit() it closes
  /// quietly, never throws, and the tmp file stays complete=0; reach it on
  /// every rank (e.g. all ranks unwinding after an agreed error, comm/agree.hpp).
  ~ActivationWriter();
  ActivationWriter(const ActivationWriter&) = delete;
  ActivationWriter& operator=(const ActivationWriter&) = delete;

  /// Collective. This rank's rows [row_offset, row_offset + n) of the labels.
  /// May be called repeatedly (batches). `index` may be null: rows are then
  /// numbered row_offset, row_offset + 1, ... Pointers may be null where n == 0.
  void write_labels(std::int64_t row_offset, std::int64_t n, const std::int32_t* fine,
                    const std::int32_t* coarse, const std::int64_t* index);
  /// Collective. This rank's rows of /labels/predicted_coarse (epoch < 0: the
  /// final network) or of /predicted_coarse/epoch_<epoch>.
  void write_predicted_coarse(std::int64_t row_offset, std::int64_t n, const std::int32_t* pred,
                              int epoch = -1);
  /// Collective. This rank's rows of /epoch_<epoch>/<layer>, `dim` floats per row.
  /// Every rank passes the same epoch, layer and dim (n may be 0). May be called
  /// repeatedly for the same layer with other rows (batched extraction). Stored
  /// as the meta says (float32 or half, contiguous or deflated chunks); rows go
  /// through H5FD_MPIO_COLLECTIVE transfers, converted to half here (HDF5
  /// would convert only in independent transfers, which filters do not allow).
  void write_layer(int epoch, const std::string& layer, std::int64_t dim, std::int64_t row_offset,
                   std::int64_t n, const float* rows);
  /// Collective. A numeric root attribute (same value on every rank); replaces
  /// an existing one. run_id, config, version and complete are reserved.
  void set_number_attr(const std::string& name, double value);
  /// Collective. Sets complete=1, flushes, closes, and rank 0 renames to the
  /// final path; returns on every rank only after the rename.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// One stored matrix: /epoch_<epoch>/<layer>.
struct LayerKey {
  int epoch = 0;
  std::string layer;
  std::int64_t rows = 0, dim = 0;
};

/// Local (serial HDF5). Reads a file that follows the schema; only
/// /labels/fine, /labels/coarse and one /epoch_<e>/<layer> are required.
class ActivationFile {
 public:
  /// Throws InputError naming the file and the missing or malformed object.
  explicit ActivationFile(const std::string& path);
  ~ActivationFile();
  ActivationFile(const ActivationFile&) = delete;
  ActivationFile& operator=(const ActivationFile&) = delete;

  const std::string& path() const;
  const std::vector<std::int32_t>& fine() const;
  const std::vector<std::int32_t>& coarse() const;
  const std::vector<std::int64_t>& index() const;  ///< 0..N-1 when absent
  const std::optional<std::vector<std::int32_t>>& predicted_coarse() const;
  /// The network's superclass for each row after `epoch`: /predicted_coarse/epoch_<e>,
  /// else (files written before it existed) /labels/predicted_coarse for the
  /// last stored epoch; nullopt otherwise.
  std::optional<std::vector<std::int32_t>> predicted_coarse_at(int epoch) const;
  /// All stored matrices, sorted by epoch then layer name.
  const std::vector<LayerKey>& layers() const;
  std::int64_t rows() const;
  /// Root attributes (empty / nullopt when absent).
  std::string string_attr(const std::string& name) const;
  std::optional<double> number_attr(const std::string& name) const;
  bool complete() const;  ///< complete attribute == 1
  /// The whole matrix (float32, rows x dim).
  RowMatrixXf read(const LayerKey& key) const;
  /// Rows [first, first + count) only (a hyperslab: the rest is never read),
  /// as float32 whatever the stored type.
  RowMatrixXf read_rows(const LayerKey& key, std::int64_t first, std::int64_t count) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Which training wrote the file: its train_seconds and final_train_loss
/// attributes, exactly (two trainings, even of the same run, virtually never
/// share both to the last bit). Empty for a file without them (another
/// tool's): such a file has no training to tell apart.
std::string training_stamp(const ActivationFile& file);

/// Local. Why `path` is not a complete activations file of run `run_id`
/// (empty when it is): it must open, say complete=1 and that run id, and hold
/// every probe point of `layers` ("all": any) at every epoch it lists (the
/// raw input at epoch 0 only). A file that is not complete is trained again.
std::string incomplete_reason(const std::string& path, const std::string& run_id,
                              const std::vector<std::string>& layers);

}  // namespace cp
