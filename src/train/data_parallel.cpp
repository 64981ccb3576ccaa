#include "clusterprobe/train/data_parallel.hpp"

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

DType dtype_of(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return DType::f32;
    case torch::kDouble: return DType::f64;
    case torch::kInt: return DType::i32;
    case torch::kLong: return DType::i64;
    default: break;
  }
  CP_THROW_INTERNAL(std::string("no collective for tensors of type ") +
                    c10::toString(t.scalar_type()));
}

// Consecutive tensors of one dtype and device, up to `bucket_bytes` (a larger
// tensor makes a bucket of its own).
std::vector<std::vector<torch::Tensor>> buckets(const std::vector<torch::Tensor>& tensors,
                                                std::size_t bucket_bytes) {
  std::vector<std::vector<torch::Tensor>> out;
  std::size_t bytes = 0;
  for (const auto& t : tensors) {
    const std::size_t b = static_cast<std::size_t>(t.numel()) * t.element_size();
    const bool fits = !out.empty() && out.back().front().scalar_type() == t.scalar_type() &&
                      out.back().front().device() == t.device() && bytes + b <= bucket_bytes;
    if (!fits) {
      out.emplace_back();
      bytes = 0;
    }
    out.back().push_back(t);
    bytes += b;
  }
  return out;
}

// Runs `op` on one flat buffer holding the bucket, then copies the result
// back into the tensors. A single contiguous tensor in the backend's memory is
// used in place.
template <class Op>
void on_flat_buckets(Communicator& comm, const std::vector<torch::Tensor>& tensors,
                     std::size_t bucket_bytes, bool copy_back_needed, Op op) {
  const torch::Device target = comm.device_buffers() ? torch::Device(torch::kCUDA) : torch::kCPU;
  for (const auto& bucket : buckets(tensors, bucket_bytes)) {
    const auto& first = bucket.front();
    const bool direct = bucket.size() == 1 && first.is_contiguous() &&
                        first.device().type() == target.type();
    if (direct) {
      op(first.data_ptr(), static_cast<std::size_t>(first.numel()), dtype_of(first));
      continue;
    }
    std::vector<torch::Tensor> flat_parts;
    flat_parts.reserve(bucket.size());
    for (const auto& t : bucket) flat_parts.push_back(t.detach().reshape({-1}));
    auto flat = torch::cat(flat_parts);
    // Staging: the MPI backend reduces host memory, NCCL device memory.
    if (flat.device().type() != target.type()) {
      flat = target.is_cuda() ? flat.to(torch::Device(torch::kCUDA, first.device().index()))
                              : flat.to(torch::kCPU);
    }
    flat = flat.contiguous();
    op(flat.data_ptr(), static_cast<std::size_t>(flat.numel()), dtype_of(first));
    if (!copy_back_needed) continue;
    flat = flat.to(first.device());
    std::int64_t offset = 0;
    torch::NoGradGuard no_grad;
    for (const auto& t : bucket) {
      const auto n = t.numel();
      t.copy_(flat.slice(0, offset, offset + n).view(t.sizes()));
      offset += n;
    }
  }
}

}  // namespace

std::pair<std::int64_t, std::int64_t> shard_range(std::int64_t n, int rank, int size) {
  CP_ASSERT(size >= 1 && rank >= 0 && rank < size, "shard_range: bad rank or size");
  return {n * rank / size, n * (rank + 1) / size};
}

void allreduce_sum(Communicator& comm, const std::vector<torch::Tensor>& tensors,
                   std::size_t bucket_bytes) {
  if (comm.size() == 1) return;  // a sum over one rank is the identity
  on_flat_buckets(comm, tensors, bucket_bytes, true, [&](void* p, std::size_t n, DType type) {
    comm.allreduce_sum(p, n, type);
  });
}

void broadcast(Communicator& comm, const std::vector<torch::Tensor>& tensors, int root,
               std::size_t bucket_bytes) {
  if (comm.size() == 1) return;
  on_flat_buckets(comm, tensors, bucket_bytes, true, [&](void* p, std::size_t n, DType type) {
    comm.broadcast(p, n, type, root);
  });
}

void broadcast_state(Communicator& comm, torch::nn::Module& module) {
  std::vector<torch::Tensor> state;
  for (const auto& p : module.parameters()) state.push_back(p);
  for (const auto& b : module.buffers()) state.push_back(b);
  broadcast(comm, state, 0);
}

void average_buffers(Communicator& comm, torch::nn::Module& module) {
  if (comm.size() == 1) return;
  std::vector<torch::Tensor> floating;
  for (const auto& b : module.buffers()) {
    if (b.is_floating_point()) floating.push_back(b);
  }
  allreduce_sum(comm, floating);
  torch::NoGradGuard no_grad;
  for (auto& b : floating) b.div_(comm.size());
}

std::vector<torch::Tensor> gradients(torch::nn::Module& module) {
  std::vector<torch::Tensor> grads;
  for (auto& p : module.parameters()) {
    if (!p.requires_grad()) continue;
    if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
    grads.push_back(p.grad());
  }
  return grads;
}

}  // namespace cp
