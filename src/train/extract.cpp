#include "clusterprobe/train/extract.hpp"

#include <algorithm>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

torch::Tensor reduce_spatial(const torch::Tensor& t, const std::string& spatial) {
  if (t.dim() <= 2) return t;
  if (spatial == "mean") return t.flatten(2).mean(2);
  if (spatial == "max") return std::get<0>(t.flatten(2).max(2));
  if (spatial == "flatten") return t.flatten(1);
  throw ConfigError("extract.spatial: unknown reduction '" + spatial + "'");
}

bool wanted(const std::vector<std::string>& layers, const std::string& name) {
  return std::find(layers.begin(), layers.end(), "all") != layers.end() ||
         std::find(layers.begin(), layers.end(), name) != layers.end();
}

}  // namespace

ProbeActivations extract_probes(ProbedModel& model, const torch::Tensor& x,
                                const std::vector<std::string>& layers, const std::string& spatial,
                                std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::map<std::string, std::vector<torch::Tensor>> parts;
  std::vector<std::string> order;
  std::vector<torch::Tensor> logits;
  for (std::int64_t start = 0; start < x.size(0); start += batch_size) {
    auto batch = x.slice(0, start, std::min(start + batch_size, x.size(0)));
    for (auto& [name, value] : model->forward_probes(batch)) {
      if (name == "logits") logits.push_back(value.detach().to(torch::kCPU));
      if (!wanted(layers, name)) continue;
      auto reduced = name == "input" ? value.flatten(1) : reduce_spatial(value, spatial);
      if (start == 0) order.push_back(name);
      parts[name].push_back(reduced.detach().to(torch::kCPU, torch::kFloat32).contiguous());
    }
  }
  model->train(was_training);
  ProbeActivations out;
  out.names = order;
  for (auto& [name, list] : parts) out.values[name] = torch::cat(list, 0).contiguous();
  if (!logits.empty()) out.logits = torch::cat(logits, 0);
  return out;
}

double evaluate_accuracy(ProbedModel& model, const torch::Tensor& x, const torch::Tensor& y,
                         std::int64_t batch_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  std::int64_t correct = 0;
  for (std::int64_t start = 0; start < x.size(0); start += batch_size) {
    const auto end = std::min(start + batch_size, x.size(0));
    auto pred = model->forward(x.slice(0, start, end)).argmax(1);
    correct += pred.eq(y.slice(0, start, end)).sum().item<std::int64_t>();
  }
  model->train(was_training);
  return x.size(0) ? static_cast<double>(correct) / static_cast<double>(x.size(0)) : 0.0;
}

}  // namespace cp
