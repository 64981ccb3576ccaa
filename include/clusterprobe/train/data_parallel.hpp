#pragma once
// The LibTorch side of data parallelism: tensors <-> the torch-free
// Communicator (bucketed flat buffers), shards of a global batch, and the
// model-state collectives training needs. Include only where LibTorch is.
#include <torch/torch.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "clusterprobe/comm/communicator.hpp"

namespace cp {

/// Flat buffers are cut at about this size: large enough that per-call latency
/// vanishes, small enough that the staging copies stay cheap (PyTorch DDP's
/// default bucket_cap_mb is 25 too).
constexpr std::size_t kBucketBytes = std::size_t{25} << 20;

/// Local. Rows [first, second) of `n` rows that `rank` of `size` takes:
/// contiguous, disjoint, sizes differing by at most one, in rank order.
std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int rank, int size);

/// Collective over comm. Sums every tensor in place over the group. Tensors of
/// one dtype and device are packed, in order, into flat buckets of at most
/// `bucket_bytes` (one call per bucket, not per tensor); a bucket is staged
/// through host or device memory when the backend wants the other kind.
/// REQUIRES: the same list (dtypes, shapes) on every rank.
void allreduce_sum(Communicator& comm, const std::vector<torch::Tensor>& tensors,
                   std::size_t bucket_bytes = kBucketBytes);

/// Collective over comm. Copies `root`'s tensors into every rank's, bucketed the same way.
void broadcast(Communicator& comm, const std::vector<torch::Tensor>& tensors, int root,
               std::size_t bucket_bytes = kBucketBytes);

/// Collective over comm. Every parameter and buffer of `module` takes rank 0's
/// value, so all ranks start from the same model.
void broadcast_state(Communicator& comm, torch::nn::Module& module);

/// Collective over comm. Replaces every floating-point buffer (BatchNorm
/// running statistics) by its mean over the group, so evaluation, extraction
/// and checkpoints see one model on every rank. Identical buffers (synchronised
/// BatchNorm) stay bit-identical: (x + x) / 2 == x.
void average_buffers(Communicator& comm, torch::nn::Module& module);

/// Local. The gradient of each parameter that requires one; a parameter the
/// last backward did not reach gets a zero gradient, so every rank hands the
/// same list to allreduce_sum.
std::vector<torch::Tensor> gradients(torch::nn::Module& module);

}  // namespace cp
