// train_run: one run, data-parallel over the ranks of `comm`.
//
// Every rank holds the whole (small) training split and draws the same
// permutation each epoch; rank r of R takes rows [r*B/R, (r+1)*B/R) of every
// global batch of B. Each rank's loss is its shard's summed cross-entropy
// divided by B, so the sum of the ranks' gradients is exactly the gradient of
// the global batch's mean loss: one all-reduce per step, no rescaling, and an
// uneven last batch is still weighted right.
#include "clusterprobe/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <numeric>
#include <random>
#include <set>

#include "checkpoint.hpp"
#include "evaluate.hpp"
#include "init.hpp"
#include "snapshots.hpp"
#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/train/augment.hpp"
#include "clusterprobe/train/data_parallel.hpp"
#include "clusterprobe/train/sync_batchnorm.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The training subset and the probe set are the same for every run of a
// dataset (fixed seed), so runs differ only in what the study varies.
constexpr std::uint64_t kDataSeed = 0;

struct Tensors {
  torch::Tensor x, coarse, fine;
};

torch::Tensor labels_tensor(const std::vector<std::int32_t>& labels, const torch::Device& device) {
  return torch::from_blob(const_cast<std::int32_t*>(labels.data()),
                          {static_cast<std::int64_t>(labels.size())}, torch::kInt32)
      .to(device, torch::kInt64);
}

Tensors to_tensors(const Split& split, const std::vector<std::int64_t>& sample_shape,
                   const torch::Device& device) {
  std::vector<std::int64_t> shape{split.size()};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  auto x = torch::from_blob(const_cast<float*>(split.x.data()), shape, torch::kFloat32).to(device, false, true);
  return {x, labels_tensor(split.coarse, device), labels_tensor(split.fine, device)};
}

double learning_rate(const TrainConfig& t, int epoch) {
  if (t.schedule == "cosine" && t.epochs > 0) {
    return t.lr * 0.5 * (1.0 + std::cos(M_PI * epoch / static_cast<double>(t.epochs)));
  }
  if (t.schedule == "step") return t.lr * std::pow(t.gamma, epoch / std::max(1, t.step_size));
  return t.lr;
}

std::mt19937_64 order_rng(int seed) {
  return std::mt19937_64(static_cast<std::uint64_t>(seed) * 0x9E3779B97F4A7C15ULL + 1);
}

// Epochs whose activations are stored: 0, the listed ones up to `epochs`, and the last.
std::vector<int> stored_epochs(const std::vector<int>& listed, int epochs) {
  std::set<int> out{0, epochs};
  for (int e : listed)
    if (e >= 0 && e <= epochs) out.insert(e);
  return {out.begin(), out.end()};
}

ActivationMeta activation_meta(const RunSpec& run, const Dataset& data, const std::string& finetune,
                               bool pretrained, const std::vector<int>& epochs) {
  ActivationMeta meta;
  meta.run_id = run.id;
  meta.config_yaml = run.resolved_yaml;
  std::string listed;
  for (int e : epochs) listed += (listed.empty() ? "" : ",") + std::to_string(e);
  meta.string_attrs = {{"dataset", run.dataset},           {"architecture", run.architecture},
                       {"normalization", run.normalization}, {"pretraining", run.pretraining},
                       {"hierarchy", data.hierarchy.name},   {"probe_split", run.extract.split},
                       {"trained_on", run.labels},           {"stored_epochs", listed}};
  if (pretrained) meta.string_attrs.emplace_back("finetune", finetune);
  // The report's penultimate columns read it from here (a scripted model's
  // probe points are known only to the model itself).
  if (is_known_architecture(run.architecture))
    meta.string_attrs.emplace_back("penultimate", penultimate_point(run.architecture));
  meta.number_attrs = {{"seed", run.seed}, {"epochs", run.train.epochs}};
  return meta;
}

}  // namespace

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TrainOutcome train_run(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                       MPI_Comm comm, const TrainOptions& options, const std::string& init_checkpoint) {
  const auto t0 = Clock::now();
  const int grank = comm_rank(comm), gsize = comm_size(comm);
  const bool leader = grank == 0;
  const auto& plan = options.plan;
  const torch::Device device = plan.device == "cuda" ? torch::Device(torch::kCUDA, plan.cuda_index)
                                                     : torch::Device(torch::kCPU);
  torch::set_num_threads(std::max(1, options.threads));
  // Declared before the model: a SyncBatchNorm layer points at it.
  auto communicator = plan.backend == "nccl" ? make_nccl_communicator(comm, plan.cuda_index)
                                             : make_mpi_communicator(comm);
  // The others would otherwise wait for the leader in the next collective.
  collective(comm, [&] {
    if (leader) fs::create_directories(run_dir);
  });

  const bool pretrained = !init_checkpoint.empty() || !run.torchscript_path.empty();
  const std::string finetune = effective_finetune(run, pretrained);
  const bool frozen = finetune == "frozen";
  const int epochs = frozen ? 0 : run.train.epochs;  // frozen: probe the network as it is
  const auto epochs_stored = stored_epochs(run.extract_epochs, epochs);
  const auto augment = augment_spec(run.augment, run.train.crop_padding, data.sample_shape);
  const auto label_map = make_label_map(data.hierarchy, run.labels == "fine", device);

  const auto train_split = subsample(data.train, data.sample_size(), run.train.max_samples, kDataSeed);
  const Split& probe_source = run.extract.split == "train" ? data.train : data.test;
  const auto probe_split = subsample(probe_source, data.sample_size(), run.extract.max_samples, kDataSeed);
  const auto train_t = to_tensors(train_split, data.sample_shape, device);
  const auto test_t = to_tensors(data.test, data.sample_shape, device);
  const auto probe_t = to_tensors(probe_split, data.sample_shape, device);
  const auto& train_y = label_map.fine ? train_t.fine : train_t.coarse;

  // The same seed on every rank gives the same initial model; the broadcast
  // below makes that a guarantee rather than an assumption.
  torch::manual_seed(static_cast<std::uint64_t>(run.seed));
  ProbedModel model;
  collective(comm, [&] {  // a file one rank cannot read fails the whole group
    model = build_model(run, data.sample_shape, label_map.classes);
    if (!init_checkpoint.empty()) load_pretrained_body(*model, init_checkpoint);
  });
  model->to(device);
  const bool sync_bn = run.train.sync_batchnorm && gsize > 1;
  if (sync_bn) convert_sync_batchnorm(*model, *communicator);
  broadcast_state(*communicator, *model);
  if (leader && pretrained)
    spdlog::info("run {}: starting from {} (finetune {})", run.id,
                 init_checkpoint.empty() ? run.torchscript_path : init_checkpoint, finetune);

  const auto probe_rows = shard_range(probe_split.size(), grank, gsize);
  const std::int64_t probe_n = probe_rows.second - probe_rows.first;
  ActivationWriter writer((fs::path(run_dir) / "activations.h5").string(), comm,
                          activation_meta(run, data, finetune, pretrained, epochs_stored),
                          probe_split.size());
  writer.write_labels(probe_rows.first, probe_n, probe_split.fine.data() + probe_rows.first,
                      probe_split.coarse.data() + probe_rows.first,
                      probe_split.index.data() + probe_rows.first);
  // The network's superclass of each probe row after `epoch` (fine networks:
  // the most likely fine class the hierarchy uses, mapped up), for e2e accuracy.
  auto write_predictions = [&](const torch::Tensor& logits, int epoch) {
    auto predicted = label_map.to_coarse.to(torch::kCPU)
                         .index_select(0, predict_classes(label_map, logits).to(torch::kCPU))
                         .to(torch::kInt32)
                         .contiguous();
    writer.write_predicted_coarse(probe_rows.first, probe_n, predicted.data_ptr<std::int32_t>(), epoch);
  };
  // Epoch 0 comes from the initial (or pretrained) model, also when resuming.
  auto logits = store_epoch(writer, model, probe_t.x, probe_rows, run.extract, 0);
  // A frozen network's head is untrained: its predictions would mean nothing.
  if (!frozen) write_predictions(logits, 0);

  torch::optim::SGD optimizer(trainable_parameters(*model, finetune),
                              torch::optim::SGDOptions(run.train.lr)
                                  .momentum(run.train.momentum)
                                  .weight_decay(run.train.weight_decay));
  TrainState state;
  state.run_id = run.id;
  state.epochs_total = epochs;
  state.order_rng = order_rng(run.seed);
  const auto state_path = (fs::path(run_dir) / "train_state.pt").string();
  TrainOutcome outcome;
  if (auto resumed = load_train_state(state_path, run.id, epochs, *model, optimizer, device, comm)) {
    state = *resumed;
    outcome.resumed_from_epoch = state.epochs_done;
    outcome.final_train_loss = state.last_loss;
    if (leader)
      spdlog::info("run {}: resuming from checkpoint at epoch {}/{}", run.id, state.epochs_done, epochs);
  }
  outcome.epochs_done = state.epochs_done;

  const std::int64_t n_train = train_split.size();
  const std::int64_t batch = run.train.batch_size;
  std::vector<std::int64_t> order(static_cast<std::size_t>(n_train));
  const int first_epoch = state.epochs_done;
  for (int epoch = first_epoch; epoch < epochs; ++epoch) {
    const auto epoch_t0 = Clock::now();
    set_training_mode(*model, finetune);  // linear: the body stays in eval mode
    const double lr = learning_rate(run.train, epoch);
    for (auto& group : optimizer.param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    }
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), state.order_rng);
    const auto perm = torch::from_blob(order.data(), {n_train}, torch::kInt64).to(device);
    double loss_sum = 0, correct = 0;
    for (std::int64_t start = 0; start < n_train; start += batch) {
      const std::int64_t global = std::min(batch, n_train - start);
      const auto shard = shard_range(global, grank, gsize);
      optimizer.zero_grad();
      std::exception_ptr local_failure;
      auto stats = torch::zeros({3}, torch::TensorOptions().dtype(torch::kDouble).device(device));
      // Without synchronised BatchNorm an empty shard needs no forward pass
      // (BatchNorm would fail on zero rows); with it, the layers' collectives
      // need every rank. A local exception is flagged through the all-reduce
      // below so all ranks fail together; with synchronised BatchNorm, one
      // thrown inside the forward pass before its collective cannot be (the
      // model code is the same on every rank, so such errors are symmetric).
      if (shard.second > shard.first || sync_bn) {
        try {
          const auto idx = perm.slice(0, start + shard.first, start + shard.second);
          const auto xb = augment_batch(train_t.x.index_select(0, idx), augment,
                                        static_cast<std::uint64_t>(run.seed), epoch, start, global,
                                        shard.first);
          const auto yb = train_y.index_select(0, idx);
          const auto out = model->forward(xb);
          const auto summed = torch::nn::functional::cross_entropy(
              out, yb, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
          (summed / static_cast<double>(global)).backward();
          stats = torch::stack({summed.detach().to(torch::kDouble),
                                out.argmax(1).eq(yb).sum().to(torch::kDouble),
                                torch::zeros({}, stats.options())});
        } catch (...) {
          local_failure = std::current_exception();
          stats = torch::tensor({0.0, 0.0, 1.0}, stats.options());
        }
      }
      auto tensors = gradients(*model);
      tensors.push_back(stats);
      allreduce_sum(*communicator, tensors);
      const auto s = stats.to(torch::kCPU);
      const double* sv = s.data_ptr<double>();
      if (sv[2] > 0) agree(local_failure, comm);  // every rank saw the flag: all throw together
      if (!std::isfinite(sv[0])) {
        outcome.message = "diverged: loss is " + std::to_string(sv[0]) + " in epoch " +
                          std::to_string(epoch + 1) + " at sample " + std::to_string(start);
        if (leader) spdlog::warn("run {}: {}", run.id, outcome.message);
        return outcome;  // the writer closes without committing: no complete file
      }
      optimizer.step();
      loss_sum += sv[0];
      correct += sv[1];
    }
    average_buffers(*communicator, *model);
    const double secs = std::chrono::duration<double>(Clock::now() - epoch_t0).count();
    state.epochs_done = epoch + 1;
    state.last_loss = n_train ? loss_sum / static_cast<double>(n_train) : 0.0;
    outcome.final_train_loss = state.last_loss;
    outcome.epochs_done = state.epochs_done;
    if (leader) {
      spdlog::info("run {} {}/{}/{} epoch {}/{}: loss {:.4f}, {} train acc {:.4f}, lr {:.4g}, "
                   "{:.1f} images/s on {} rank(s) ({:.1f} s)",
                   run.id, run.dataset, run.architecture, run.normalization, epoch + 1, epochs,
                   state.last_loss, run.labels, n_train ? correct / static_cast<double>(n_train) : 0.0,
                   lr, secs > 0 ? static_cast<double>(n_train) / secs : 0.0, gsize,
                   std::chrono::duration<double>(Clock::now() - t0).count());
    }
    // A listed intermediate epoch: its model is extracted at the end (from
    // this file, so a resumed run still has it). Written before the training
    // state, so a state at epoch e implies every snapshot up to e.
    if (state.epochs_done < epochs &&
        std::binary_search(epochs_stored.begin(), epochs_stored.end(), state.epochs_done)) {
      save_model_file(*model, snapshot_path(run_dir, state.epochs_done), comm);
    }
    // The leader's clock decides for the group, so every rank stops together.
    int out_of_time = leader && wall_seconds() + secs > options.deadline ? 1 : 0;
    check_mpi(MPI_Bcast(&out_of_time, 1, MPI_INT, 0, comm), "train: MPI_Bcast(deadline)");
    const bool stop = epoch + 1 < epochs &&
                      (out_of_time || (options.stop_after_epochs > 0 &&
                                       epoch + 1 - first_epoch >= options.stop_after_epochs));
    if (stop || state.epochs_done % run.train.checkpoint_every == 0 || state.epochs_done == epochs) {
      save_train_state(state_path, state, *model, optimizer, device, comm);
    }
    if (stop) {
      outcome.interrupted = true;
      outcome.out_of_time = out_of_time != 0;
      outcome.message = "stopped after epoch " + std::to_string(epoch + 1) +
                        (out_of_time ? " at the wall-time limit (parallel.max_hours)" : "") +
                        " (resumable)";
      if (leader && out_of_time) spdlog::warn("run {}: {}", run.id, outcome.message);
      return outcome;
    }
  }

  const double nan = std::nan("");
  TestAccuracy acc{nan, nan};
  if (!frozen) {
    acc = sharded_test_accuracy(model, test_t.x, test_t.coarse, test_t.fine, label_map, comm);
    if (epochs > 0) {
      logits = store_epoch(writer, model, probe_t.x, probe_rows, run.extract, epochs);
      write_predictions(logits, epochs);
    }
    write_predictions(logits, -1);
    writer.set_number_attr("coarse_test_accuracy", acc.coarse);
    if (label_map.fine) writer.set_number_attr("fine_test_accuracy", acc.fine);
  }
  outcome.coarse_test_accuracy = acc.coarse;
  outcome.fine_test_accuracy = acc.fine;
  writer.set_number_attr("final_train_loss", outcome.final_train_loss);
  writer.set_number_attr("ranks", gsize);
  save_model_file(*model, (fs::path(run_dir) / "checkpoint.pt").string(), comm);
  // Training dynamics: the listed intermediate epochs, from their snapshots
  // (the model is not used after this).
  for (int e : epochs_stored) {
    if (e == 0 || e == epochs) continue;
    load_model_file(*model, snapshot_path(run_dir, e), device, comm);
    write_predictions(store_epoch(writer, model, probe_t.x, probe_rows, run.extract, e), e);
  }
  writer.commit();
  if (leader) {
    // Complete now: the resumable state and the snapshots are no longer needed.
    std::error_code ec;
    fs::remove(state_path, ec);
    for (int e : epochs_stored) fs::remove(snapshot_path(run_dir, e), ec);
  }
  outcome.ok = true;
  if (leader) spdlog::info("run {} done: coarse test accuracy {:.4f}", run.id, outcome.coarse_test_accuracy);
  return outcome;
}

}  // namespace cp
