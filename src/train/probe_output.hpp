#pragma once
// One analysis of a training: a run whose activations file is stored from the
// network being trained (its own, or another run's with the same training
// identity, plan/run_spec.hpp). It owns what differs between analyses of one
// network: the probe set and its labels, the test split the accuracies are
// measured on, the hierarchy predictions are mapped up, and the file.
// Private to src/train.
#include <mpi.h>
#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/data/dataset.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/plan/run_spec.hpp"
#include "evaluate.hpp"

namespace cp::detail {

struct Tensors {
  torch::Tensor x, coarse, fine;
};

/// Local. The split's samples and labels as tensors on `device`.
Tensors to_tensors(const Split& split, const std::vector<std::int64_t>& sample_shape, const torch::Device& device);

/// Local. A limit above the split's size is met by the whole split: said,
/// because a study that asked for 300 probe samples and got 3 scores very differently.
void say_if_short(const char* key, std::int64_t max_samples, const char* split, std::int64_t have);

/// How the network is trained, the same for every analysis of it.
struct TrainingFacts {
  bool pretrained = false;
  std::string finetune;
  bool frozen = false;          ///< no head trained: no predictions, no accuracies
  int epochs = 0;               ///< the last epoch
  std::vector<int> stored;      ///< epochs stored, ascending, 0 first
  std::string trained_by;       ///< the run that trains the network
};

class ProbeOutput {
 public:
  /// Local. Converts the probe set (run.extract) and the test split of `data`.
  ProbeOutput(const RunSpec& run, const Dataset& data, const std::string& run_dir, const TrainingFacts& facts,
              const torch::Device& device, MPI_Comm comm);

  /// Collective. Creates the file (tmp name) with its labels and epoch 0.
  void open(ProbedModel& model);
  /// Collective. Stores `epoch` of the model with its predictions.
  void store(ProbedModel& model, int epoch);
  /// Collective. The last epoch (when trained), the final predictions, the
  /// test accuracies and the run's attributes; returns the accuracies.
  TestAccuracy finish_last(ProbedModel& model, double final_train_loss, double train_seconds);
  /// Collective. Makes the file complete.
  void commit() { writer_->commit(); }

  const RunSpec& run() const { return run_; }
  const RunLayout& files() const { return files_; }

 private:
  void write_predictions(const torch::Tensor& logits, int epoch);

  const RunSpec& run_;
  const Dataset& data_;
  const RunLayout files_;
  const TrainingFacts& facts_;
  MPI_Comm comm_;
  LabelMap label_map_;
  Split probe_split_;
  Tensors probe_t_, test_t_;
  std::pair<std::int64_t, std::int64_t> rows_;
  std::unique_ptr<ActivationWriter> writer_;
  torch::Tensor logits_;
};

}  // namespace cp::detail
