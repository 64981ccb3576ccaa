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
#include "probe_output.hpp"
#include "snapshots.hpp"
#include "clusterprobe/comm/communicator.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/models/registry.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/io/activations.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/models/model.hpp"
#include "clusterprobe/train/augment.hpp"
#include "clusterprobe/train/data_parallel.hpp"
#include "clusterprobe/train/sync_batchnorm.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

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

// One run's training, in the phases train_run goes through: set up (device,
// communicator, data), build the model, open the activations file and store
// epoch 0, resume, train epoch by epoch, finish (test accuracy, the stored
// epochs, commit). Every phase is collective over the group.
class RunTrainer {
 public:
  RunTrainer(const RunSpec& run, const Dataset& data, const std::string& run_dir, MPI_Comm comm,
             const TrainOptions& options, const std::string& init_checkpoint,
             const std::vector<SharedAnalysis>& analyses)
      : run_(run), data_(data), files_(run_dir), comm_(comm), options_(options), analyses_(analyses),
        init_checkpoint_(init_checkpoint), grank_(comm_rank(comm)), gsize_(comm_size(comm)),
        leader_(grank_ == 0),
        device_(options.plan.device == "cuda" ? torch::Device(torch::kCUDA, options.plan.cuda_index)
                                              : torch::Device(torch::kCPU)),
        pretrained_(!init_checkpoint.empty() || !run.torchscript_path.empty()),
        finetune_(effective_finetune(run, pretrained_)),
        frozen_(finetune_ == "frozen"),
        epochs_(frozen_ ? 0 : run.train.epochs),  // frozen: probe the network as it is
        epochs_stored_(stored_epochs(run.extract_epochs, epochs_)),
        state_path_(files_.train_state()) {
    facts_ = {pretrained_, finetune_, frozen_, epochs_, epochs_stored_, run.id};
    if (analyses_.empty()) analyses_.push_back({&run, &data, run_dir});
  }

  TrainOutcome run() {
    set_up();
    build();
    open_output();
    resume();
    for (int epoch = state_.epochs_done; epoch < epochs_; ++epoch) {
      const EpochEnd how = train_epoch(epoch);
      if (how == EpochEnd::diverged) return outcome_;  // the writer closes without committing
      if (how == EpochEnd::stopped || end_epoch(epoch)) return outcome_;  // stopped, resumable
    }
    finish();
    return outcome_;
  }

 private:
  void set_up() {
    torch::set_num_threads(std::max(1, options_.threads));
    // Declared before the model: a SyncBatchNorm layer points at it.
    communicator_ = options_.plan.backend == "nccl" ? make_nccl_communicator(comm_, options_.plan.cuda_index)
                                                    : make_mpi_communicator(comm_);
    // The others would otherwise wait for the leader in the next collective.
    collective(comm_, [&] {
      if (leader_) fs::create_directories(files_.dir());
    });
    augment_ = augment_spec(run_.augment, run_.train.crop_padding, data_.sample_shape);
    label_map_ = make_label_map(data_.hierarchy, run_.labels == "fine", device_);
    train_split_ = subsample(data_.train, data_.sample_size(), run_.train.max_samples, kSubsampleSeed);
    if (leader_) detail::say_if_short("train.max_samples", run_.train.max_samples, "train", data_.train.size());
    train_t_ = detail::to_tensors(train_split_, data_.sample_shape, device_);
    for (const auto& a : analyses_)
      outputs_.push_back(std::make_unique<detail::ProbeOutput>(*a.run, *a.data, a.run_dir, facts_, device_, comm_));
  }

  void build() {
    // The same seed on every rank gives the same initial model; the broadcast
    // below makes that a guarantee rather than an assumption.
    torch::manual_seed(static_cast<std::uint64_t>(run_.seed));
    collective(comm_, [&] {  // a file one rank cannot read fails the whole group
      model_ = build_model(run_, data_.sample_shape, label_map_.classes);
      if (!init_checkpoint_.empty()) load_pretrained_body(*model_, init_checkpoint_);
    });
    model_->to(device_);
    sync_bn_ = run_.train.sync_batchnorm && gsize_ > 1;
    if (sync_bn_) convert_sync_batchnorm(*model_, *communicator_);
    broadcast_state(*communicator_, *model_);
    if (leader_ && pretrained_)
      spdlog::info("run {}: starting from {} (finetune {})", run_.id,
                   init_checkpoint_.empty() ? run_.torchscript_path : init_checkpoint_, finetune_);
  }

  // Each analysis's activations file with its labels and epoch 0 (from the
  // initial or pretrained model, also when resuming).
  void open_output() {
    for (auto& out : outputs_) out->open(model_);
  }

  void resume() {
    optimizer_ = std::make_unique<torch::optim::SGD>(
        trainable_parameters(*model_, finetune_),
        torch::optim::SGDOptions(run_.train.lr).momentum(run_.train.momentum).weight_decay(run_.train.weight_decay));
    state_.run_id = run_.id;
    state_.epochs_total = epochs_;
    state_.order_rng = order_rng(run_.seed);
    if (auto resumed = load_train_state(state_path_, run_.id, epochs_, *model_, *optimizer_, device_, comm_)) {
      state_ = *resumed;
      outcome_.resumed_from_epoch = state_.epochs_done;
      outcome_.final_train_loss = state_.last_loss;
      if (leader_) spdlog::info("run {}: resuming from checkpoint at epoch {}/{}", run_.id, state_.epochs_done, epochs_);
    }
    outcome_.epochs_done = state_.epochs_done;
    first_epoch_ = state_.epochs_done;
    order_.resize(static_cast<std::size_t>(train_split_.size()));
  }

  enum class EpochEnd { done, diverged, stopped };

  // One pass over the training split (from where a step-level checkpoint left
  // it); stops after the step in which any rank of the group was asked to.
  EpochEnd train_epoch(int epoch) {
    epoch_t0_ = Clock::now();
    set_training_mode(*model_, finetune_);  // linear: the body stays in eval mode
    lr_ = learning_rate(run_.train, epoch);
    for (auto& group : optimizer_->param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr_);
    rng_before_shuffle_ = state_.order_rng;
    std::iota(order_.begin(), order_.end(), 0);
    std::shuffle(order_.begin(), order_.end(), state_.order_rng);
    const std::int64_t n_train = train_split_.size();
    const auto perm = torch::from_blob(order_.data(), {n_train}, torch::kInt64).to(device_);
    const std::int64_t first = state_.next_sample;
    loss_sum_ = state_.partial_loss;
    correct_ = state_.partial_correct;
    state_.next_sample = 0;
    state_.partial_loss = state_.partial_correct = 0;
    for (std::int64_t start = first; start < n_train; start += run_.train.batch_size) {
      const double* sv = step(perm, epoch, start);
      if (!std::isfinite(sv[0])) {
        outcome_.message = "diverged: loss is " + std::to_string(sv[0]) + " in epoch " + std::to_string(epoch + 1) +
                           " at sample " + std::to_string(start);
        if (leader_) spdlog::warn("run {}: {}", run_.id, outcome_.message);
        return EpochEnd::diverged;
      }
      optimizer_->step();
      loss_sum_ += sv[0];
      correct_ += sv[1];
      report_progress(epoch, start + run_.train.batch_size);
      signalled_ = sv[3] > 0;
      if (signalled_ && start + run_.train.batch_size < n_train) {
        stop_inside_epoch(epoch, start + run_.train.batch_size);
        return EpochEnd::stopped;
      }
    }
    average_buffers(*communicator_, *model_);
    return EpochEnd::done;
  }

  // A stop asked inside an epoch: the state to go on from the next batch
  // (the data order is drawn again from the RNG as it was before the shuffle).
  void stop_inside_epoch(int epoch, std::int64_t next_sample) {
    TrainState here = state_;
    here.order_rng = rng_before_shuffle_;
    here.next_sample = next_sample;
    here.partial_loss = loss_sum_;
    here.partial_correct = correct_;
    save_train_state(state_path_, here, *model_, *optimizer_, device_, comm_);
    outcome_.interrupted = outcome_.out_of_time = true;
    outcome_.message = "stopped by a signal in epoch " + std::to_string(epoch + 1) + " at sample " +
                       std::to_string(next_sample) + " (resumable from there)";
    if (leader_) spdlog::warn("run {}: {}", run_.id, outcome_.message);
  }

  // A progress line from the leader at most every options_.progress_every
  // seconds: long epochs otherwise leave a batch log silent for hours.
  void report_progress(int epoch, std::int64_t samples_done) {
    if (!leader_ || !options_.on_progress) return;
    const auto now = Clock::now();
    if (std::chrono::duration<double>(now - last_progress_).count() < options_.progress_every) return;
    last_progress_ = now;
    const std::int64_t n = train_split_.size(), batch = run_.train.batch_size;
    TrainProgress p;
    p.epoch = epoch + 1;
    p.epochs = epochs_;
    p.steps = (n + batch - 1) / batch;
    p.step = std::min(p.steps, (samples_done + batch - 1) / batch);
    const double secs = std::chrono::duration<double>(now - epoch_t0_).count();
    p.images_per_second = secs > 0 ? static_cast<double>(std::min(samples_done, n)) / secs : 0;
    p.fraction = epochs_ > 0 ? (epoch + static_cast<double>(std::min(samples_done, n)) / static_cast<double>(std::max<std::int64_t>(n, 1))) / epochs_ : 1;
    options_.on_progress(p);
  }

  // One global batch: this rank's shard forward and backward, then one
  // all-reduce of the gradients with the loss, the correct count and a
  // failure flag. Returns the summed (loss, correct, failed) of the group.
  const double* step(const torch::Tensor& perm, int epoch, std::int64_t start) {
    const std::int64_t global = std::min<std::int64_t>(run_.train.batch_size, train_split_.size() - start);
    const auto shard = shard_range(global, grank_, gsize_);
    const auto& train_y = label_map_.fine ? train_t_.fine : train_t_.coarse;
    optimizer_->zero_grad();
    std::exception_ptr local_failure;
    // loss, correct, failed, stop asked: one all-reduce carries them all.
    auto stats = torch::zeros({4}, torch::TensorOptions().dtype(torch::kDouble).device(device_));
    // Without synchronised BatchNorm an empty shard needs no forward pass
    // (BatchNorm would fail on zero rows); with it, the layers' collectives
    // need every rank. A local exception is flagged through the all-reduce
    // below so all ranks fail together; with synchronised BatchNorm, one
    // thrown inside the forward pass before its collective cannot be (the
    // model code is the same on every rank, so such errors are symmetric).
    if (shard.second > shard.first || sync_bn_) {
      try {
        const auto idx = perm.slice(0, start + shard.first, start + shard.second);
        const auto xb = augment_batch(train_t_.x.index_select(0, idx), augment_, static_cast<std::uint64_t>(run_.seed),
                                      epoch, start, global, shard.first);
        const auto yb = train_y.index_select(0, idx);
        const auto out = model_->forward(xb);
        const auto summed = torch::nn::functional::cross_entropy(
            out, yb, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
        (summed / static_cast<double>(global)).backward();
        stats = torch::stack({summed.detach().to(torch::kDouble), out.argmax(1).eq(yb).sum().to(torch::kDouble),
                              torch::zeros({}, stats.options()), torch::zeros({}, stats.options())});
      } catch (...) {
        local_failure = std::current_exception();
        stats = torch::tensor({0.0, 0.0, 1.0, 0.0}, stats.options());
      }
    }
    if (stop_requested()) stats[3].fill_(1.0);
    auto tensors = gradients(*model_);
    tensors.push_back(stats);
    allreduce_sum(*communicator_, tensors);
    step_stats_ = stats.to(torch::kCPU);
    const double* sv = step_stats_.data_ptr<double>();
    if (sv[2] > 0) agree(local_failure, comm_);  // every rank saw the flag: all throw together
    return sv;
  }

  // Logs the epoch, stores a listed intermediate epoch's model, checkpoints;
  // true when training stops here (wall-time limit, stop_after_epochs).
  bool end_epoch(int epoch) {
    const double secs = std::chrono::duration<double>(Clock::now() - epoch_t0_).count();
    const std::int64_t n_train = train_split_.size();
    state_.epochs_done = epoch + 1;
    state_.last_loss = n_train ? loss_sum_ / static_cast<double>(n_train) : 0.0;
    outcome_.final_train_loss = state_.last_loss;
    outcome_.epochs_done = state_.epochs_done;
    if (leader_) {
      spdlog::info("run {} {}/{}/{} epoch {}/{}: loss {:.4f}, {} train acc {:.4f}, lr {:.4g}, "
                   "{:.1f} images/s on {} rank(s) ({:.1f} s)",
                   run_.id, run_.dataset, run_.architecture, run_.normalization, epoch + 1, epochs_, state_.last_loss,
                   run_.labels, n_train ? correct_ / static_cast<double>(n_train) : 0.0, lr_,
                   secs > 0 ? static_cast<double>(n_train) / secs : 0.0, gsize_,
                   std::chrono::duration<double>(Clock::now() - t0_).count());
    }
    // A listed intermediate epoch: its model is extracted at the end (from
    // this file, so a resumed run still has it). Written before the training
    // state, so a state at epoch e implies every snapshot up to e.
    if (state_.epochs_done < epochs_ &&
        std::binary_search(epochs_stored_.begin(), epochs_stored_.end(), state_.epochs_done)) {
      save_model_file(*model_, files_.snapshot(state_.epochs_done), comm_);
    }
    // The leader's clock decides for the group, so every rank stops together.
    int out_of_time = leader_ && wall_seconds() + secs > options_.deadline ? 1 : 0;
    check_mpi(MPI_Bcast(&out_of_time, 1, MPI_INT, 0, comm_), "train: MPI_Bcast(deadline)");
    // A signal in the epoch's last step stops here (unless this was the last epoch).
    out_of_time = out_of_time || signalled_;
    const bool stop = epoch + 1 < epochs_ &&
                      (out_of_time || (options_.stop_after_epochs > 0 &&
                                       epoch + 1 - first_epoch_ >= options_.stop_after_epochs));
    if (stop || state_.epochs_done % run_.train.checkpoint_every == 0 || state_.epochs_done == epochs_) {
      save_train_state(state_path_, state_, *model_, *optimizer_, device_, comm_);
    }
    if (!stop) return false;
    outcome_.interrupted = true;
    outcome_.out_of_time = out_of_time != 0;
    outcome_.message = "stopped after epoch " + std::to_string(epoch + 1) +
                       (signalled_ ? " by a stop signal" : out_of_time ? " at the wall-time limit (parallel.max_hours)" : "") +
                       " (resumable)";
    if (leader_ && out_of_time) spdlog::warn("run {}: {}", run_.id, outcome_.message);
    return true;
  }

  // Per analysis: test accuracy and the last epoch; then the final model and
  // the listed intermediate epochs, then the commits that make the files complete.
  void finish() {
    const double seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
    for (auto& out : outputs_) {
      const TestAccuracy acc = out->finish_last(model_, outcome_.final_train_loss, seconds);
      outcome_.analyses.push_back({acc.coarse, acc.fine});
    }
    outcome_.coarse_test_accuracy = outcome_.analyses.front().first;
    outcome_.fine_test_accuracy = outcome_.analyses.front().second;
    save_model_file(*model_, files_.checkpoint(), comm_);
    share_checkpoint();
    // Training dynamics: the listed intermediate epochs, from their snapshots
    // (the model is not used after this).
    for (int e : epochs_stored_) {
      if (e == 0 || e == epochs_) continue;
      load_model_file(*model_, files_.snapshot(e), device_, comm_);
      for (auto& out : outputs_) out->store(model_, e);
    }
    for (auto& out : outputs_) out->commit();
    // Complete now: the resumable state and the snapshots are no longer
    // needed. Collective, so no rank returns while they may still be there.
    collective(comm_, [&] {
      if (!leader_) return;
      std::error_code ec;
      fs::remove(state_path_, ec);
      for (int e : epochs_stored_) fs::remove(files_.snapshot(e), ec);
    });
    outcome_.ok = true;
    if (!leader_) return;
    for (std::size_t k = 0; k < outputs_.size(); ++k) {
      const std::string& id = outputs_[k]->run().id;
      if (id == run_.id)
        spdlog::info("run {} done: coarse test accuracy {:.4f}", id, outcome_.analyses[k].first);
      else
        spdlog::info("run {} stored from the training of run {}: coarse test accuracy {:.4f}", id, run_.id,
                     outcome_.analyses[k].first);
    }
  }

  // Every other analysis's directory gets the final model too (a hard link
  // where the file system allows one): offline tools find a run's network in
  // its own directory.
  void share_checkpoint() {
    collective(comm_, [&] {
      if (!leader_) return;
      for (const auto& out : outputs_) {
        const std::string target = out->files().checkpoint();
        if (out->files().dir() == files_.dir()) continue;
        const std::string tmp = target + ".tmp";
        std::error_code ec;
        fs::remove(tmp, ec);
        fs::create_hard_link(files_.checkpoint(), tmp, ec);
        if (ec) fs::copy_file(files_.checkpoint(), tmp, fs::copy_options::overwrite_existing);
        fs::rename(tmp, target);
      }
    });
  }

  const RunSpec& run_;
  const Dataset& data_;
  const RunLayout files_;
  const MPI_Comm comm_;
  const TrainOptions& options_;
  std::vector<SharedAnalysis> analyses_;
  const std::string init_checkpoint_;
  const int grank_, gsize_;
  const bool leader_;
  const torch::Device device_;
  const bool pretrained_;
  const std::string finetune_;
  const bool frozen_;
  const int epochs_;
  const std::vector<int> epochs_stored_;
  const std::string state_path_;
  const Clock::time_point t0_ = Clock::now();
  Clock::time_point last_progress_ = Clock::now();

  std::unique_ptr<Communicator> communicator_;
  AugmentSpec augment_;
  LabelMap label_map_;  ///< the training targets
  Split train_split_;
  detail::Tensors train_t_;
  detail::TrainingFacts facts_;
  std::vector<std::unique_ptr<detail::ProbeOutput>> outputs_;
  ProbedModel model_;
  bool sync_bn_ = false;
  std::unique_ptr<torch::optim::SGD> optimizer_;
  TrainState state_;
  TrainOutcome outcome_;
  int first_epoch_ = 0;
  std::vector<std::int64_t> order_;
  std::mt19937_64 rng_before_shuffle_;
  bool signalled_ = false;  ///< a rank of the group was asked to stop in the last step
  Clock::time_point epoch_t0_;
  double lr_ = 0, loss_sum_ = 0, correct_ = 0;
  torch::Tensor step_stats_;
};

}  // namespace

TrainOutcome train_run(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                       MPI_Comm comm, const TrainOptions& options, const std::string& init_checkpoint,
                       const std::vector<SharedAnalysis>& analyses) {
  return RunTrainer(run, data, run_dir, comm, options, init_checkpoint, analyses).run();
}

}  // namespace cp
