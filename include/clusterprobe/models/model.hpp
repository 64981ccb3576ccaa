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
  torch::Tensor forward(const torch::Tensor& x) { return run(layout(x), nullptr); }
  /// Logits plus every probe point ("input" first, "logits" last).
  ProbeList forward_probes(const torch::Tensor& x) {
    ProbeList probes;
    run(layout(x), &probes);
    return probes;
  }

  /// Stores the 4-D parameters channels-last and gives images to run() that
  /// way. The values and every result's logical layout are unchanged; ATen's
  /// CPU max-pooling and batch norm have vectorised kernels only for this
  /// layout (measured on the quickstart CNN: max pooling took 40% of a step
  /// in NCHW, training is 1.3x faster channels-last at 1 thread).
  void use_channels_last() {
    torch::NoGradGuard no_grad;
    // Restrided through empty_like: contiguous() keeps a one-channel
    // filter's NCHW strides (it already counts as channels-last), and the
    // convolution then picks NCHW for its output.
    for (auto& p : parameters())
      if (p.dim() == 4)
        p.set_data(torch::empty_like(p, p.options().memory_format(torch::MemoryFormat::ChannelsLast)).copy_(p));
    channels_last_ = true;
  }

 protected:
  /// The forward pass; appends each probe point to `probes` when it is not null.
  virtual torch::Tensor run(const torch::Tensor& x, ProbeList* probes) = 0;

 private:
  torch::Tensor layout(const torch::Tensor& x) const {
    return channels_last_ && x.dim() == 4 ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x;
  }

  bool channels_last_ = false;
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
