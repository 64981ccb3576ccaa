#pragma once
// The model a run starts from: a zoo model or a TorchScript body, optionally
// with the pretrained weights of another run, and which of its weights the
// finetune mode trains.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "clusterprobe/plan/run_spec.hpp"
#include "clusterprobe/models/model.hpp"

namespace cp {

/// Local. make_model (seeded by the caller) or, for a run with a
/// torchscript_path (or architecture torchscript), load_torchscript_model.
/// Throws ConfigError for torchscript without a path, InputError for a bad file.
ProbedModel build_model(const RunSpec& run, const std::vector<std::int64_t>& sample_shape,
                        std::int64_t num_classes);

/// Local. Copies every parameter and buffer of `model` whose name does not
/// start with "head." from `checkpoint` (a torch::nn::Module::save archive,
/// e.g. a run's checkpoint.pt). The head keeps its fresh initialisation.
/// Throws InputError naming the checkpoint (and tensor) when the file cannot be
/// read, a tensor is missing, or a shape differs.
void load_pretrained_body(torch::nn::Module& model, const std::string& checkpoint);

/// The finetune mode in effect: run.train.finetune when the run starts from
/// pretrained weights, else "full". Throws ConfigError for an unknown mode.
std::string effective_finetune(const RunSpec& run, bool pretrained);

/// Local. The parameters the optimizer updates: all of them (full) or only
/// head.* (linear: every other parameter gets requires_grad false).
std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& model, const std::string& finetune);

/// Local. Training mode for an epoch: the whole model (full), or the body in
/// eval mode (BatchNorm statistics frozen, no dropout) and the head training (linear).
void set_training_mode(torch::nn::Module& model, const std::string& finetune);

}  // namespace cp
