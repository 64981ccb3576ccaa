// TorchScript bodies as ProbedModels.
//
// Probe points come from a rewritten copy of the body's forward graph: every
// prim::CallMethod[name="forward"] whose module is a prim::GetAttr on `self`
// (a named submodule that forward calls directly, in the top-level block) gets
// its tensor output cloned and appended to a returned tuple. The copy runs as
// a standalone GraphFunction with the module object as its first input, so the
// loaded class type is left untouched. If the rewrite fails, or does not
// reproduce forward's output on a probe batch, only input/output/logits are
// exposed (a warning says so).
#include "clusterprobe/models/torchscript.hpp"

#include <spdlog/spdlog.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/script.h>

#include <map>
#include <memory>
#include <sstream>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"

namespace cp {
namespace {

namespace jit = torch::jit;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::ostringstream s;
  s << '[';
  for (std::size_t i = 0; i < shape.size(); ++i) s << (i ? "," : "") << shape[i];
  s << ']';
  return s.str();
}

// The forward graph, also returning the direct submodule calls' outputs:
// returns (forward's output, probe_0, probe_1, ...) as one tuple.
std::shared_ptr<jit::Graph> probe_graph(jit::Module& module, std::vector<std::string>& names) {
  auto graph = module.get_method("forward").graph()->copy();
  if (graph->outputs().size() != 1) throw std::runtime_error("forward has several outputs");
  jit::Value* self = graph->inputs().at(0);
  std::vector<jit::Node*> calls;
  for (jit::Node* node : graph->block()->nodes()) {
    if (node->kind() != jit::prim::CallMethod || node->s(jit::attr::name) != "forward") continue;
    jit::Node* get = node->input(0)->node();
    if (get->kind() != jit::prim::GetAttr || get->input(0) != self) continue;
    if (node->outputs().size() != 1 || !node->output()->type()->isSubtypeOf(*c10::TensorType::get()))
      continue;
    calls.push_back(node);
  }
  std::vector<jit::Value*> outputs{graph->outputs()[0]};
  std::map<std::string, int> seen;
  for (jit::Node* call : calls) {
    std::string name = call->input(0)->node()->s(jit::attr::name);
    if (const int k = ++seen[name]; k > 1) name += "_" + std::to_string(k);  // called again
    // A copy, so that an in-place op later in forward cannot change the probe.
    jit::WithInsertPoint guard(call->next());
    outputs.push_back(graph->insert(jit::aten::clone, {call->output()}));
    names.push_back(name);
  }
  jit::WithInsertPoint guard(graph->return_node());
  jit::Value* tuple = graph->insertNode(graph->createTuple(outputs))->output();
  graph->eraseOutput(0);
  graph->registerOutput(tuple);
  return graph;
}

class TorchScriptModelImpl : public ProbedModelImpl {
 public:
  TorchScriptModelImpl(const std::string& path, const std::vector<std::int64_t>& input_shape,
                       std::int64_t num_classes)
      : path_(path) {
    check_regular_input(path, "TorchScript file");
    try {
      body_ = jit::load(path, torch::kCPU);
    } catch (const std::exception& e) {
      throw InputError(path + ": cannot load the TorchScript model: " + first_line(e.what()));
    }
    // The scripted module's own tensors, shared: the optimizer updates them in place.
    holder_ = register_module("body", std::make_shared<torch::nn::Module>());
    for (const auto& p : body_.named_parameters(true))
      node_for(p.name).register_parameter(leaf(p.name), p.value, p.value.requires_grad());
    for (const auto& b : body_.named_buffers(true)) node_for(b.name).register_buffer(leaf(b.name), b.value);
    const auto& schema = body_.get_method("forward").function().getSchema();
    for (std::size_t i = 2; i < schema.arguments().size(); ++i) {
      const auto& arg = schema.arguments()[i];
      if (!arg.default_value())
        throw InputError(path + ": forward takes more than one input without a default (" + arg.name() + ")");
      extra_args_.push_back(*arg.default_value());
    }

    std::vector<std::int64_t> shape{1};
    shape.insert(shape.end(), input_shape.begin(), input_shape.end());
    const auto probe = torch::zeros(shape);
    torch::Tensor features;
    {
      torch::NoGradGuard no_grad;
      body_.eval();
      try {
        features = call_forward(probe);
      } catch (const std::exception& e) {
        throw InputError(path + ": the TorchScript model cannot run on input " + shape_text(input_shape) +
                         ": " + first_line(e.what()));
      }
      try {
        std::vector<std::string> names;
        auto graph = probe_graph(body_, names);
        probe_fn_ = std::make_unique<jit::GraphFunction>("clusterprobe_forward_probes", graph, nullptr);
        probe_names_ = names;
        auto [out, points] = call_probes(probe);
        if (!out.sizes().equals(features.sizes()) || !torch::allclose(out, features))
          throw std::runtime_error("the rewritten forward does not reproduce forward's output");
      } catch (const std::exception& e) {
        spdlog::warn("{}: no submodule probe points ({}); probing input, output and logits only", path,
                     first_line(e.what()));
        probe_fn_.reset();
        probe_names_.clear();
      }
      body_.train();
    }
    if (features.dim() < 1 || features.size(0) != 1)
      throw InputError(path + ": the TorchScript model's output is not a batch of features");
    head = register_module("head", torch::nn::Linear(features.flatten(1).size(1), num_classes));
  }

  /// train()/eval() reach the scripted module (its code reads self.training).
  void train(bool on = true) override {
    torch::nn::Module::train(on);
    body_.train(holder_->is_training());
  }

  torch::nn::Linear head{nullptr};

 protected:
  torch::Tensor run(const torch::Tensor& x, ProbeList* probes) override {
    // A body put in eval through its holder (finetune linear) follows here.
    if (body_.is_training() != holder_->is_training()) body_.train(holder_->is_training());
    torch::Tensor features;
    if (probes) {
      probes->emplace_back("input", x);
      if (probe_fn_) {
        auto [out, points] = call_probes(x);
        for (std::size_t i = 0; i < points.size(); ++i) probes->emplace_back(probe_names_[i], points[i]);
        features = out;
      } else {
        features = call_forward(x);
      }
      probes->emplace_back("output", features);
    } else {
      features = call_forward(x);
    }
    auto logits = head(features.flatten(1));
    if (probes) probes->emplace_back("logits", logits);
    return logits;
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
  static std::string leaf(const std::string& name) { return name.substr(name.rfind('.') + 1); }

  // The holder module of a dotted name's parent ("a.0.weight" -> body.a.0).
  torch::nn::Module& node_for(const std::string& name) {
    torch::nn::Module* node = holder_.get();
    std::size_t start = 0;
    for (std::size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', start)) {
      const std::string part = name.substr(start, dot - start);
      start = dot + 1;
      auto children = node->named_children();
      if (const auto* child = children.find(part)) {
        node = child->get();
      } else {
        node = node->register_module(part, std::make_shared<torch::nn::Module>()).get();
      }
    }
    return *node;
  }

  std::vector<c10::IValue> inputs(const torch::Tensor& x) const {
    std::vector<c10::IValue> in{x};
    in.insert(in.end(), extra_args_.begin(), extra_args_.end());
    return in;
  }

  torch::Tensor call_forward(const torch::Tensor& x) {
    auto out = body_.forward(inputs(x));
    if (!out.isTensor()) throw InputError(path_ + ": the TorchScript model's forward does not return a tensor");
    return out.toTensor();
  }

  std::pair<torch::Tensor, std::vector<torch::Tensor>> call_probes(const torch::Tensor& x) {
    jit::Stack stack{body_._ivalue()};
    for (auto& v : inputs(x)) stack.push_back(v);
    probe_fn_->run(stack);
    const auto& elems = stack.front().toTupleRef().elements();
    if (elems.size() == 0 || !elems[0].isTensor()) throw InputError(path_ + ": the TorchScript model's forward does not return a tensor");
    std::vector<torch::Tensor> points;
    for (std::size_t i = 1; i < elems.size(); ++i) points.push_back(elems[i].toTensor());
    return {elems[0].toTensor(), points};
  }

  std::string path_;
  jit::Module body_;
  std::shared_ptr<torch::nn::Module> holder_;
  std::vector<c10::IValue> extra_args_;
  std::unique_ptr<jit::GraphFunction> probe_fn_;
  std::vector<std::string> probe_names_;
};

}  // namespace

ProbedModel load_torchscript_model(const std::string& path, const std::vector<std::int64_t>& input_shape,
                                   std::int64_t num_classes) {
  return std::make_shared<TorchScriptModelImpl>(path, input_shape, num_classes);
}

}  // namespace cp
