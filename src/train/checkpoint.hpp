#pragma once
// Resumable training state: everything that decides the rest of a run, so a
// run resumed from its checkpoint ends with the same parameters as one that
// was never interrupted.
#include <mpi.h>
#include <torch/torch.h>

#include <optional>
#include <random>
#include <string>

namespace cp {

struct TrainState {
  std::string run_id;            ///< the run it belongs to (a mismatch is ignored)
  int epochs_total = 0;          ///< the run's train.epochs, checked on resume
  int epochs_done = 0;           ///< epochs finished; the next one to train
  double last_loss = 0;          ///< mean training loss of the last finished epoch
  /// Data-order RNG: positioned after `epochs_done` shuffles at an epoch end;
  /// inside an epoch (next_sample > 0), before that epoch's shuffle, so the
  /// resumed run draws the same order and skips the batches done.
  std::mt19937_64 order_rng;
  std::int64_t next_sample = 0;   ///< 0: at an epoch end; else where epoch `epochs_done` goes on
  double partial_loss = 0, partial_correct = 0;  ///< of that epoch's batches done
};

/// Rank `writer` of `comm` serialises the model (parameters and buffers), the
/// optimizer (param groups, momentum buffers), `state` and the LibTorch
/// generator of `device` to `path` under a tmp name and renames it into place,
/// so a crash leaves either the previous checkpoint or the new one.
/// Collective over comm (the writer's error is agreed on; all throw IoError).
void save_train_state(const std::string& path, const TrainState& state, torch::nn::Module& model,
                      torch::optim::Optimizer& optimizer, const torch::Device& device,
                      MPI_Comm comm);

/// Collective over comm. Rank 0 reads `path` and broadcasts its bytes; every
/// rank restores model, optimizer and the generator of `device` in place and
/// returns the state. Returns nullopt on every rank when there is no file, or
/// when it belongs to another run / epoch count (a warning says so). A corrupt
/// file is treated as absent, with a warning: the run starts over.
std::optional<TrainState> load_train_state(const std::string& path, const std::string& run_id,
                                           int epochs_total, torch::nn::Module& model,
                                           torch::optim::Optimizer& optimizer,
                                           const torch::Device& device, MPI_Comm comm);

}  // namespace cp
