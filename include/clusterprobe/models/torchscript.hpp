#pragma once
// Models from TorchScript files (e.g. torch.jit.script / torch.jit.trace in
// Python, then .save()), for pretraining `torchscript:<path>`.
// Include only where LibTorch is needed.
#include <cstdint>
#include <string>
#include <vector>

#include "clusterprobe/models/model.hpp"

namespace cp {

/// Local. Loads `path` as the body of a model: its forward maps a batch of
/// samples [N, ...input_shape] to features; a fresh Linear head (submodule
/// "head") maps the flattened features to `num_classes` logits. The body's
/// parameters and buffers are registered under "body." so training,
/// checkpoints and finetune modes treat it like a zoo model.
/// Probe points: "input", the output of every named submodule that the body's
/// forward calls directly (its name, in call order), "output" (the body's
/// output, the penultimate features), "logits".
/// Throws InputError naming the file when it cannot be loaded or run on
/// `input_shape`.
ProbedModel load_torchscript_model(const std::string& path,
                                   const std::vector<std::int64_t>& input_shape,
                                   std::int64_t num_classes);

}  // namespace cp
