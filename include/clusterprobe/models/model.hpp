#pragma once
// Architectures with named probe points. LibTorch has no forward hooks in C++,
// so each model returns its hidden activations itself, from one forward call.
// Include this header only where LibTorch is needed (it costs seconds per file).
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

namespace cp {

/// (probe point name, activation) in forward order, as listed by probe_points().
using ProbeList = std::vector<std::pair<std::string, torch::Tensor>>;

class ProbedModelImpl : public torch::nn::Module {
 public:
  /// Logits only: the training path.
  torch::Tensor forward(const torch::Tensor& x) { return run(x, nullptr); }
  /// Logits plus every probe point ("input" first, "logits" last).
  ProbeList forward_probes(const torch::Tensor& x) {
    ProbeList probes;
    run(x, &probes);
    return probes;
  }

 protected:
  /// The forward pass; appends each probe point to `probes` when it is not null.
  virtual torch::Tensor run(const torch::Tensor& x, ProbeList* probes) = 0;
};

using ProbedModel = std::shared_ptr<ProbedModelImpl>;

struct ModelSpec {
  std::string architecture;            ///< see check_architecture() in models/registry.hpp
  std::string normalization;           ///< batch | layer | group | none
  std::vector<std::int64_t> input_shape;  ///< one sample: [C, H, W] or [D]
  std::int64_t num_classes = 2;
};

/// Builds a freshly initialised model (uses torch's global RNG: seed it first).
/// Throws ConfigError for unknown names or an input shape the model cannot take.
ProbedModel make_model(const ModelSpec& spec);

}  // namespace cp
