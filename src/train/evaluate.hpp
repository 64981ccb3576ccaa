#pragma once
// What a trained run reports: predictions mapped to coarse labels (also for
// networks trained on fine labels), test accuracies and stored probe epochs.
#include <mpi.h>
#include <torch/torch.h>

#include <cstdint>
#include <utility>

#include "clusterprobe/config/sections.hpp"
#include "clusterprobe/data/hierarchy.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/models/model.hpp"

namespace cp {

/// The network's classes: coarse labels, or fine labels mapped up the hierarchy.
struct LabelMap {
  bool fine = false;
  std::int64_t classes = 0;  ///< network outputs
  torch::Tensor allowed;     ///< bool [classes]: classes a prediction may take (fine: used ones)
  torch::Tensor to_coarse;   ///< int64 [classes]: coarse label of each class
};

/// Local. `fine`: one class per fine label of `h`, unused ones (fine_to_coarse
/// -1) never predicted; else one per coarse label.
LabelMap make_label_map(const Hierarchy& h, bool fine, const torch::Device& device);

/// Local. Class ids from logits [N, classes] (argmax over the allowed classes).
torch::Tensor predict_classes(const LabelMap& map, const torch::Tensor& logits);

struct TestAccuracy {
  double coarse = 0, fine = 0;  ///< fine: NaN unless the network predicts fine classes
};

/// Collective over comm. Accuracies on all rows of x, sharded over the ranks,
/// in eval mode and batches.
TestAccuracy sharded_test_accuracy(ProbedModel& model, const torch::Tensor& x,
                                   const torch::Tensor& coarse, const torch::Tensor& fine,
                                   const LabelMap& map, MPI_Comm comm);

/// Collective over comm. Extracts this rank's probe rows and writes every
/// requested point at their global rows as /epoch_<epoch>/<layer> ("input"
/// only at epoch 0). Returns the logits of this rank's rows.
torch::Tensor store_epoch(ActivationWriter& writer, ProbedModel& model, const torch::Tensor& probe_x,
                          std::pair<std::int64_t, std::int64_t> rows, const ExtractConfig& extract,
                          int epoch);

}  // namespace cp
