#pragma once
// Synchronised BatchNorm: batch statistics over the whole global batch of a
// rank group instead of each rank's shard. models/ is left untouched: after
// make_model, convert_sync_batchnorm() swaps each BatchNorm1d/2d inside an
// nn::Sequential for a SyncBatchNorm that shares its parameters and buffers
// (same names, so checkpoints are interchangeable).
#include <torch/torch.h>

#include "clusterprobe/comm/communicator.hpp"

namespace cp {

/// BatchNorm whose training-mode statistics are all-reduced over a group.
/// Eval mode is plain BatchNorm on the running statistics (no communication).
class SyncBatchNormImpl : public torch::nn::Module {
 public:
  /// Shares `options`, weight, bias and running statistics of an existing BatchNorm.
  /// `comm` must outlive this module.
  SyncBatchNormImpl(const torch::nn::BatchNormOptions& options, torch::Tensor weight,
                    torch::Tensor bias, torch::Tensor running_mean, torch::Tensor running_var,
                    torch::Tensor num_batches_tracked, Communicator& comm);

  /// Collective over the group in training mode (every rank must call it, a
  /// rank with an empty shard too), Local in eval mode. Input [N, C, *].
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::BatchNormOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  Communicator* comm_;
};

/// Local. Wraps every BatchNorm1d/2d held by an nn::Sequential anywhere in
/// `root`'s module tree; returns how many. Throws InternalError for a
/// BatchNorm outside a Sequential (its owner's member would still call the
/// old module). Call before building the optimizer; parameters are shared, so
/// either order works, but this keeps the module tree honest from the start.
int convert_sync_batchnorm(torch::nn::Module& root, Communicator& comm);

}  // namespace cp
