#include "clusterprobe/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/train/extract.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// The training subset and the probe set are the same for every run of a
// dataset (fixed seed), so runs differ only in what the study varies.
constexpr std::uint64_t kDataSeed = 0;

struct Tensors {
  torch::Tensor x, coarse;
};

Tensors to_tensors(const Split& split, const std::vector<std::int64_t>& sample_shape) {
  std::vector<std::int64_t> shape{split.size()};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  auto x = torch::from_blob(const_cast<float*>(split.x.data()), shape, torch::kFloat32).clone();
  auto coarse = torch::from_blob(const_cast<std::int32_t*>(split.coarse.data()), {split.size()},
                                 torch::kInt32)
                    .to(torch::kInt64);
  return {x, coarse};
}

double learning_rate(const TrainConfig& t, int epoch) {
  if (t.schedule == "cosine" && t.epochs > 0) {
    return t.lr * 0.5 * (1.0 + std::cos(M_PI * epoch / static_cast<double>(t.epochs)));
  }
  if (t.schedule == "step") return t.lr * std::pow(t.gamma, epoch / std::max(1, t.step_size));
  return t.lr;
}

// Writes every requested probe point of `model` for the probe rows as /epoch_<epoch>/...
// and returns the logits.
torch::Tensor store_epoch(ActivationWriter& writer, ProbedModel& model, const torch::Tensor& probe_x,
                          const ExtractConfig& extract, int epoch) {
  auto acts = extract_probes(model, probe_x, extract.layers, extract.spatial);
  for (const auto& name : acts.names) {
    if (epoch > 0 && name == "input") continue;  // the raw input does not change with training
    const auto& v = acts.values.at(name);
    writer.write_layer(epoch, name, v.size(1), 0, v.size(0), v.data_ptr<float>());
  }
  return acts.logits;
}

void save_checkpoint(ProbedModel& model, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  model->save(archive);
  const auto tmp = path.string() + ".tmp";
  archive.save_to(tmp);
  fs::rename(tmp, path);
}

}  // namespace

TrainOutcome train_run(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                       MPI_Comm comm, int threads) {
  if (comm_size(comm) != 1) {
    throw ConfigError("parallel.ranks_per_run: data-parallel training needs ranks_per_run = 1 here");
  }
  const auto t0 = std::chrono::steady_clock::now();
  torch::set_num_threads(std::max(1, threads));
  torch::manual_seed(static_cast<std::uint64_t>(run.seed));
  fs::create_directories(run_dir);

  const auto train_split = subsample(data.train, data.sample_size(), run.train.max_samples, kDataSeed);
  const Split& probe_source = run.extract.split == "train" ? data.train : data.test;
  const auto probe_split = subsample(probe_source, data.sample_size(), run.extract.max_samples, kDataSeed);
  auto train_t = to_tensors(train_split, data.sample_shape);
  auto test_t = to_tensors(data.test, data.sample_shape);
  auto probe_t = to_tensors(probe_split, data.sample_shape);

  ModelSpec spec{run.architecture, run.normalization, data.sample_shape,
                 static_cast<std::int64_t>(data.hierarchy.num_coarse())};
  auto model = make_model(spec);

  ActivationMeta meta;
  meta.run_id = run.id;
  meta.config_yaml = run.resolved_yaml;
  meta.string_attrs = {{"dataset", run.dataset},           {"architecture", run.architecture},
                       {"normalization", run.normalization}, {"pretraining", run.pretraining},
                       {"hierarchy", data.hierarchy.name},   {"probe_split", run.extract.split},
                       {"trained_on", "coarse"}};
  meta.number_attrs = {{"seed", run.seed}, {"epochs", run.train.epochs}};
  ActivationWriter writer((fs::path(run_dir) / "activations.h5").string(), comm, meta,
                          probe_split.size());
  writer.write_labels(0, probe_split.size(), probe_split.fine.data(), probe_split.coarse.data(),
                      probe_split.index.data());
  auto logits = store_epoch(writer, model, probe_t.x, run.extract, 0);

  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(run.train.lr)
                                                       .momentum(run.train.momentum)
                                                       .weight_decay(run.train.weight_decay));
  std::mt19937_64 rng(static_cast<std::uint64_t>(run.seed) * 0x9E3779B97F4A7C15ULL + 1);
  std::vector<std::int64_t> order(static_cast<std::size_t>(train_split.size()));
  std::iota(order.begin(), order.end(), 0);
  TrainOutcome outcome;
  model->train();
  for (int epoch = 0; epoch < run.train.epochs; ++epoch) {
    const double lr = learning_rate(run.train, epoch);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    std::shuffle(order.begin(), order.end(), rng);
    auto perm = torch::from_blob(order.data(), {static_cast<std::int64_t>(order.size())}, torch::kInt64);
    double loss_sum = 0;
    std::int64_t correct = 0, seen = 0;
    for (std::int64_t start = 0; start < train_split.size(); start += run.train.batch_size) {
      auto idx = perm.slice(0, start, std::min(start + run.train.batch_size, train_split.size()));
      auto xb = train_t.x.index_select(0, idx);
      auto yb = train_t.coarse.index_select(0, idx);
      optimizer.zero_grad();
      auto out = model->forward(xb);
      auto loss = torch::nn::functional::cross_entropy(out, yb);
      const double lv = loss.item<double>();
      if (!std::isfinite(lv)) {
        outcome.message = "diverged: loss is " + std::to_string(lv) + " in epoch " +
                          std::to_string(epoch + 1) + " at sample " + std::to_string(start);
        spdlog::warn("run {}: {}", run.id, outcome.message);
        return outcome;  // the writer closes without committing: no complete file
      }
      loss.backward();
      optimizer.step();
      loss_sum += lv * static_cast<double>(xb.size(0));
      correct += out.argmax(1).eq(yb).sum().item<std::int64_t>();
      seen += xb.size(0);
    }
    outcome.final_train_loss = seen ? loss_sum / static_cast<double>(seen) : 0.0;
    outcome.epochs_done = epoch + 1;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    spdlog::info("run {} {}/{}/{} epoch {}/{}: loss {:.4f}, coarse train acc {:.4f}, lr {:.4g} ({:.1f} s)",
                 run.id, run.dataset, run.architecture, run.normalization, epoch + 1,
                 run.train.epochs, outcome.final_train_loss,
                 seen ? static_cast<double>(correct) / static_cast<double>(seen) : 0.0, lr, secs);
  }

  outcome.coarse_test_accuracy = evaluate_accuracy(model, test_t.x, test_t.coarse);
  if (run.train.epochs > 0) logits = store_epoch(writer, model, probe_t.x, run.extract, run.train.epochs);
  auto predicted = logits.argmax(1).to(torch::kInt32).contiguous();
  writer.write_predicted_coarse(0, predicted.size(0), predicted.data_ptr<std::int32_t>());
  writer.set_number_attr("coarse_test_accuracy", outcome.coarse_test_accuracy);
  writer.set_number_attr("final_train_loss", outcome.final_train_loss);
  save_checkpoint(model, fs::path(run_dir) / "checkpoint.pt");
  writer.commit();
  outcome.ok = true;
  spdlog::info("run {} done: coarse test accuracy {:.4f}", run.id, outcome.coarse_test_accuracy);
  return outcome;
}

}  // namespace cp
