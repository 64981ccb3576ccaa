// TorchScript bodies: a model scripted in Python (Debian's python3-torch, the
// same version as LibTorch) loads with its direct submodule calls as probe
// points, computes what Python computed, and trains through the wrapper.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/models/torchscript.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

constexpr const char* kPython = CP_TEST_PYTHON;

// A conv -> bn -> relu Sequential ("features"), a residual add around "block",
// pooling, a Linear "proj"; BatchNorm statistics made non-trivial first.
constexpr const char* kScript = R"PY(
import sys, torch
out = sys.argv[1]
torch.manual_seed(0)

class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1),
                                            torch.nn.BatchNorm2d(4), torch.nn.ReLU())
        self.block = torch.nn.Conv2d(4, 4, 3, padding=1)
        self.proj = torch.nn.Linear(4 * 7 * 7, 8)

    def forward(self, x):
        h = self.features(x)
        r = self.block(h)
        h = torch.relu(h + r)
        h = torch.nn.functional.avg_pool2d(h, 4)
        return self.proj(h.flatten(1))

m = Net()
m.train()
with torch.no_grad():
    for _ in range(3):
        m(torch.randn(16, 1, 28, 28) * 2 + 1)
m.eval()
s = torch.jit.script(m)
s.save(out + "/model.pt")
x = torch.randn(3, 1, 28, 28)
with torch.no_grad():
    y = s(x)
for name, t in (("x", x), ("y", y)):
    with open(out + "/" + name + ".txt", "w") as f:
        f.write(" ".join(repr(v) for v in t.flatten().tolist()))
)PY";

torch::Tensor read_floats(const fs::path& path, std::vector<std::int64_t> shape) {
  std::ifstream in(path);
  std::vector<float> v;
  for (double d; in >> d;) v.push_back(static_cast<float>(d));
  return torch::tensor(v).reshape(shape);
}

class TorchScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::system((std::string(kPython) + " -c 'import torch' >/dev/null 2>&1").c_str()) != 0)
      GTEST_SKIP() << kPython << " cannot import torch";
    dir_ = fs::temp_directory_path() / ("cp-torchscript-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "make.py") << kScript;
    const auto cmd = std::string(kPython) + " " + (dir_ / "make.py").string() + " " + dir_.string();
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(TorchScriptTest, ProbesMatchPythonAndTrain) {
  torch::manual_seed(1);
  auto model = load_torchscript_model((dir_ / "model.pt").string(), {1, 28, 28}, 5);
  const auto x = read_floats(dir_ / "x.txt", {3, 1, 28, 28});
  const auto y = read_floats(dir_ / "y.txt", {3, 8});

  model->eval();
  const auto probes = model->forward_probes(x);
  std::vector<std::string> names;
  for (const auto& [name, value] : probes) names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"input", "features", "block", "proj", "output", "logits"}));
  ASSERT_EQ(probes.size(), 6u);
  EXPECT_EQ(probes[1].second.sizes(), (std::vector<std::int64_t>{3, 4, 28, 28}));
  EXPECT_EQ(probes[2].second.sizes(), (std::vector<std::int64_t>{3, 4, 28, 28}));
  EXPECT_EQ(probes[3].second.sizes(), (std::vector<std::int64_t>{3, 8}));
  EXPECT_EQ(probes[5].second.sizes(), (std::vector<std::int64_t>{3, 5}));
  EXPECT_TRUE(torch::allclose(probes[4].second, y, 1e-4, 1e-5)) << "body output differs from Python's";
  EXPECT_TRUE(torch::allclose(probes[3].second, y, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(model->forward(x), probes[5].second));

  // The scripted module's tensors are the wrapper's, under "body.".
  auto params = model->named_parameters();
  ASSERT_NE(params.find("body.features.0.weight"), nullptr);
  ASSERT_NE(params.find("head.weight"), nullptr);
  EXPECT_NE(model->named_buffers().find("body.features.1.running_mean"), nullptr);

  // train() reaches the scripted BatchNorm: batch statistics change the output.
  model->train();
  {
    torch::NoGradGuard no_grad;
    EXPECT_FALSE(torch::allclose(model->forward_probes(x)[4].second, y, 1e-4, 1e-5));
  }

  // One SGD step moves the body's weights and what the body computes.
  const auto before = params["body.features.0.weight"].detach().clone();
  torch::optim::SGD sgd(model->parameters(), torch::optim::SGDOptions(0.1));
  sgd.zero_grad();
  model->forward(x).pow(2).sum().backward();
  sgd.step();
  EXPECT_FALSE(torch::equal(before, params["body.features.0.weight"]));
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(torch::allclose(model->forward_probes(x)[4].second, y, 1e-4, 1e-5));
}

TEST_F(TorchScriptTest, CorruptOrMissingFileIsAnInputErrorNamingIt) {
  const auto bad = (dir_ / "corrupt.pt").string();
  std::ofstream(bad) << "not a TorchScript archive";
  try {
    load_torchscript_model(bad, {1, 28, 28}, 5);
    FAIL() << "no error for a corrupt file";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_torchscript_model((dir_ / "missing.pt").string(), {1, 28, 28}, 5), InputError);
  // A shape the body cannot take.
  try {
    load_torchscript_model((dir_ / "model.pt").string(), {3, 28, 28}, 5);
    FAIL() << "no error for a wrong input shape";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cp
