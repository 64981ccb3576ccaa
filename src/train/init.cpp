#include "init.hpp"

#include <torch/script.h>

#include <map>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/models/torchscript.hpp"

namespace cp {
namespace {

bool is_head(const std::string& name) { return name.rfind("head.", 0) == 0; }

std::string shape_text(at::IntArrayRef shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? "," : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

ProbedModel build_model(const RunSpec& run, const std::vector<std::int64_t>& sample_shape,
                        std::int64_t num_classes) {
  if (!run.torchscript_path.empty()) return load_torchscript_model(run.torchscript_path, sample_shape, num_classes);
  if (is_scripted_architecture(run.architecture))
    throw ConfigError("run " + run.id + ": architecture torchscript needs pretraining torchscript:<path>");
  return make_model({run.architecture, run.normalization, sample_shape, num_classes});
}

void load_pretrained_body(torch::nn::Module& model, const std::string& checkpoint) {
  // The archive is a TorchScript module whose (nested) attributes carry the
  // saved module's dotted names.
  torch::jit::Module saved;
  check_regular_input(checkpoint, "pretrained checkpoint");
  try {
    saved = torch::jit::load(checkpoint, torch::kCPU);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    throw InputError(checkpoint + ": cannot read the pretrained checkpoint: " + what.substr(0, what.find('\n')));
  }
  std::map<std::string, torch::Tensor> tensors;
  for (const auto& p : saved.named_parameters(true)) tensors[p.name] = p.value;
  for (const auto& b : saved.named_buffers(true)) tensors[b.name] = b.value;

  torch::NoGradGuard no_grad;
  auto copy = [&](const std::string& name, torch::Tensor& target) {
    if (is_head(name)) return;
    const auto it = tensors.find(name);
    if (it == tensors.end())
      throw InputError(checkpoint + ": the pretrained checkpoint has no tensor '" + name + "'");
    if (!it->second.sizes().equals(target.sizes()))
      throw InputError(checkpoint + ": tensor '" + name + "' has shape " + shape_text(it->second.sizes()) +
                       ", the model expects " + shape_text(target.sizes()));
    target.copy_(it->second.to(target.device(), target.scalar_type()));
  };
  for (auto& p : model.named_parameters(true)) copy(p.key(), p.value());
  for (auto& b : model.named_buffers(true)) copy(b.key(), b.value());
}

std::string effective_finetune(const RunSpec& run, bool pretrained) {
  const auto& mode = run.train.finetune;
  if (mode != "full" && mode != "linear" && mode != "frozen")
    throw ConfigError("train.finetune: unknown mode '" + mode + "' (full | linear | frozen)");
  return pretrained ? mode : "full";
}

std::vector<torch::Tensor> trainable_parameters(torch::nn::Module& model, const std::string& finetune) {
  std::vector<torch::Tensor> out;
  for (auto& p : model.named_parameters(true)) {
    if (finetune == "linear" && !is_head(p.key())) {
      p.value().set_requires_grad(false);
      continue;
    }
    out.push_back(p.value());
  }
  return out;
}

void set_training_mode(torch::nn::Module& model, const std::string& finetune) {
  if (finetune != "linear") {
    model.train();
    return;
  }
  model.eval();
  for (auto& child : model.named_children()) {
    if (child.key() == "head") child.value()->train();
  }
}

}  // namespace cp
