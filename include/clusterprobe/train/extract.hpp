#pragma once
// Probe activations: forward the probe set once and keep the requested points.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "clusterprobe/models/model.hpp"

namespace cp {

/// Per probe point, all probe rows as one [N, D] float32 CPU tensor. Conv maps
/// are reduced over space as `spatial` says (mean | max | flatten); the
/// "input" point is always flattened (the raw-input baseline).
struct ProbeActivations {
  std::vector<std::string> names;  ///< in forward order
  std::map<std::string, torch::Tensor> values;
  torch::Tensor logits;            ///< [N, classes]
};

/// Local. Runs `model` in eval mode, without gradients, in batches.
ProbeActivations extract_probes(ProbedModel& model, const torch::Tensor& x,
                                const std::vector<std::string>& layers, const std::string& spatial,
                                std::int64_t batch_size = 512);

/// Local. Coarse accuracy of `model` on (x, y), in batches.
double evaluate_accuracy(ProbedModel& model, const torch::Tensor& x, const torch::Tensor& y,
                         std::int64_t batch_size = 1024);

}  // namespace cp
