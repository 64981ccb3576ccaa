#include "clusterprobe/train/sync_batchnorm.hpp"

#include <cstdint>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/train/data_parallel.hpp"

namespace cp {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// Every dimension but the channels (dim 1): what batch statistics reduce over.
std::vector<std::int64_t> reduce_dims(const torch::Tensor& x) {
  std::vector<std::int64_t> dims{0};
  for (std::int64_t d = 2; d < x.dim(); ++d) dims.push_back(d);
  return dims;
}

// A per-channel vector shaped to broadcast against [N, C, *].
torch::Tensor per_channel(const torch::Tensor& v, const torch::Tensor& like) {
  std::vector<std::int64_t> shape(static_cast<std::size_t>(like.dim()), 1);
  shape[1] = v.size(0);
  return v.view(shape);
}

Communicator& comm_of(AutogradContext* ctx) {
  // IValue holds no raw pointers; the module guarantees the communicator outlives the graph.
  return *reinterpret_cast<Communicator*>(
      static_cast<std::intptr_t>(ctx->saved_data["comm"].toInt()));
}

// Forward all-reduces (sum, sum of squares, count) per channel; backward
// all-reduces (sum dy, sum dy * x_hat). Sums are kept in float64: E[x^2] -
// E[x]^2 cancels badly in float32 when |mean| >> std.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static variable_list forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight,
                               torch::Tensor bias, double eps, std::int64_t comm_handle) {
    ctx->saved_data["comm"] = comm_handle;
    Communicator& comm = comm_of(ctx);
    const auto dims = reduce_dims(x);
    const std::int64_t channels = x.size(1);
    const double local_count = channels > 0 ? static_cast<double>(x.numel() / channels) : 0.0;
    auto stats = torch::cat({x.sum(dims, false, torch::kDouble),
                             (x * x).sum(dims, false, torch::kDouble),
                             torch::full({1}, local_count, x.options().dtype(torch::kDouble))});
    allreduce_sum(comm, {stats});
    comm.synchronize();
    const double n = stats[2 * channels].item<double>();
    if (n < 2) {
      throw InternalError("SyncBatchNorm: expected more than 1 value per channel over the group, got " +
                          std::to_string(n));
    }
    auto mean = stats.slice(0, 0, channels) / n;
    auto var = (stats.slice(0, channels, 2 * channels) / n - mean * mean).clamp_min(0.0);
    auto invstd = (var + eps).rsqrt();
    const auto xhat = (x - per_channel(mean.to(x.scalar_type()), x)) *
                      per_channel(invstd.to(x.scalar_type()), x);
    auto y = xhat;
    if (weight.defined()) y = y * per_channel(weight, x);
    if (bias.defined()) y = y + per_channel(bias, x);
    ctx->save_for_backward({x, weight, mean.to(x.scalar_type()), invstd.to(x.scalar_type())});
    ctx->saved_data["n"] = n;
    // The running variance is unbiased, as in torch::nn::BatchNorm.
    auto unbiased = var * (n / (n - 1));
    ctx->mark_non_differentiable({mean, unbiased});
    return {y, mean, unbiased};
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad_outputs) {
    Communicator& comm = comm_of(ctx);
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];
    const auto& weight = saved[1];
    const auto& mean = saved[2];
    const auto& invstd = saved[3];
    const double n = ctx->saved_data["n"].toDouble();
    const auto dy = grad_outputs[0];
    const auto dims = reduce_dims(x);
    const std::int64_t channels = x.size(1);
    const auto xhat = (x - per_channel(mean, x)) * per_channel(invstd, x);
    const auto local = torch::cat({dy.sum(dims, false, torch::kDouble),
                                   (dy * xhat).sum(dims, false, torch::kDouble)});
    // weight/bias gradients stay local: the trainer sums parameter gradients
    // over the group afterwards, like every other parameter's.
    torch::Tensor grad_weight, grad_bias;
    if (weight.defined()) grad_weight = local.slice(0, channels, 2 * channels).to(x.scalar_type());
    grad_bias = local.slice(0, 0, channels).to(x.scalar_type());
    auto global = local.clone();
    allreduce_sum(comm, {global});
    const auto mean_dy = (global.slice(0, 0, channels) / n).to(x.scalar_type());
    const auto mean_dy_xhat = (global.slice(0, channels, 2 * channels) / n).to(x.scalar_type());
    auto scale = per_channel(invstd, x);
    if (weight.defined()) scale = scale * per_channel(weight, x);
    const auto dx =
        (dy - per_channel(mean_dy, x) - xhat * per_channel(mean_dy_xhat, x)) * scale;
    return {dx, grad_weight, grad_bias, torch::Tensor(), torch::Tensor()};
  }
};

template <class BatchNormImpl>
std::shared_ptr<SyncBatchNormImpl> wrap(const std::shared_ptr<BatchNormImpl>& bn, Communicator& comm) {
  return std::make_shared<SyncBatchNormImpl>(bn->options, bn->weight, bn->bias, bn->running_mean,
                                             bn->running_var, bn->num_batches_tracked, comm);
}

bool is_batchnorm(const std::shared_ptr<torch::nn::Module>& m) {
  return std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(m) ||
         std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(m) ||
         std::dynamic_pointer_cast<torch::nn::BatchNorm3dImpl>(m);
}

}  // namespace

SyncBatchNormImpl::SyncBatchNormImpl(const torch::nn::BatchNormOptions& opts, torch::Tensor w,
                                     torch::Tensor b, torch::Tensor rm, torch::Tensor rv,
                                     torch::Tensor nbt, Communicator& comm)
    : options(opts), comm_(&comm) {
  // The names BatchNorm registers, so state dicts and checkpoints stay the same.
  weight = register_parameter("weight", w, w.defined() && w.requires_grad());
  bias = register_parameter("bias", b, b.defined() && b.requires_grad());
  running_mean = register_buffer("running_mean", rm);
  running_var = register_buffer("running_var", rv);
  num_batches_tracked = register_buffer("num_batches_tracked", nbt);
}

torch::Tensor SyncBatchNormImpl::forward(const torch::Tensor& x) {
  const bool track = options.track_running_stats() && running_mean.defined();
  if (!is_training() && track) {
    return torch::batch_norm(x, weight, bias, running_mean, running_var, false, 0.0,
                             options.eps(), false);
  }
  const auto handle = static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(comm_));
  auto out = SyncBatchNormFunction::apply(x, weight, bias, options.eps(), handle);
  if (is_training() && track) {
    torch::NoGradGuard no_grad;
    num_batches_tracked += 1;
    // momentum unset means a cumulative average, as in torch::nn::BatchNorm.
    const double factor = options.momentum().has_value()
                              ? *options.momentum()
                              : 1.0 / num_batches_tracked.item<double>();
    running_mean.mul_(1 - factor).add_(out[1].to(running_mean.scalar_type()), factor);
    running_var.mul_(1 - factor).add_(out[2].to(running_var.scalar_type()), factor);
  }
  return out[0];
}

int convert_sync_batchnorm(torch::nn::Module& root, Communicator& comm) {
  int converted = 0;
  for (const auto& module : root.modules(/*include_self=*/true)) {
    auto seq = std::dynamic_pointer_cast<torch::nn::SequentialImpl>(module);
    if (!seq) continue;
    const auto children = seq->named_children();
    for (auto it = seq->begin(); it != seq->end(); ++it) {
      const auto ptr = it->ptr();
      std::shared_ptr<SyncBatchNormImpl> sync;
      if (auto b1 = std::dynamic_pointer_cast<torch::nn::BatchNorm1dImpl>(ptr)) sync = wrap(b1, comm);
      else if (auto b2 = std::dynamic_pointer_cast<torch::nn::BatchNorm2dImpl>(ptr)) sync = wrap(b2, comm);
      else if (auto b3 = std::dynamic_pointer_cast<torch::nn::BatchNorm3dImpl>(ptr)) sync = wrap(b3, comm);
      if (!sync) continue;
      // Sequential::forward calls its AnyModule list; the registered child
      // (parameters(), save, load) must name the same module.
      *it = torch::nn::AnyModule(sync);
      for (const auto& item : children) {
        if (item.value().get() == ptr.get()) seq->replace_module(item.key(), sync);
      }
      ++converted;
    }
  }
  for (const auto& module : root.modules(true)) {
    if (is_batchnorm(module)) {
      CP_THROW_INTERNAL("sync_batchnorm: a BatchNorm outside an nn::Sequential cannot be swapped");
    }
  }
  return converted;
}

}  // namespace cp
