#pragma once
// Whole-model files: the final checkpoint.pt and the per-epoch snapshots
// (io/output_layout.hpp: RunLayout::snapshot) that training-dynamics extraction reads back at
// the end of a run, so a resumed run still stores every listed epoch.
#include <mpi.h>
#include <torch/torch.h>

#include <string>

namespace cp {

/// Collective over comm. Rank 0 writes the parameters and buffers of `model`
/// (torch::nn::Module::save) to `path` under a tmp name and renames it into
/// place; its error is agreed on and every rank throws IoError.
void save_model_file(torch::nn::Module& model, const std::string& path, MPI_Comm comm);

/// Collective over comm. Rank 0 reads `path` and broadcasts its bytes; every
/// rank loads them into `model` (on `device`). Throws InputError naming the
/// file on every rank when it is missing or does not fit the model.
void load_model_file(torch::nn::Module& model, const std::string& path, const torch::Device& device,
                     MPI_Comm comm);

}  // namespace cp
