#pragma once
// Training one run on coarse labels, data-parallel over a rank group, and
// storing its probe activations. Torch-free header: the pipeline calls it
// without paying for <torch/torch.h>.
#include <mpi.h>

#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/plan/run_spec.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace cp {

/// Where and how a run computes and communicates.
struct ExecutionPlan {
  std::string device = "cpu";  ///< cpu | cuda
  int cuda_index = 0;          ///< cuda:(local rank mod visible GPUs)
  std::string backend = "mpi"; ///< mpi | nccl
};

/// Local. Resolves train.device (auto: cuda when LibTorch sees a GPU) and
/// parallel.backend (auto: nccl for CUDA models when compiled in, mpi
/// otherwise). Throws ConfigError for cuda without a visible GPU, nccl on the
/// CPU, nccl in a build without it, and sync_batchnorm with the mpi backend on
/// CUDA (its backward runs on LibTorch's device threads, where MPI may not be
/// called under MPI_THREAD_FUNNELED).
ExecutionPlan plan_execution(const TrainConfig& train, const ParallelConfig& parallel,
                             int local_rank);

/// Where a run's training stands: what a progress line reports.
struct TrainProgress {
  int epoch = 0, epochs = 0;            ///< the epoch in progress (1-based) and the run's last
  std::int64_t step = 0, steps = 0;     ///< batches of this epoch done, and in all
  double images_per_second = 0;         ///< of this epoch so far, over the group
  double fraction = 0;                  ///< of the run's training done, in [0, 1]
};

struct TrainOptions {
  int threads = 1;            ///< LibTorch intra-op threads of this rank (>= 1)
  ExecutionPlan plan;         ///< from plan_execution (same on every rank of the group)
  /// 0: train to the last epoch. n > 0: stop after n epochs of this call with
  /// the run's checkpoint written and `interrupted` set, as a wall-time limit
  /// would (GROMACS -maxh); a later call resumes from there.
  int stop_after_epochs = 0;
  /// Wall-clock deadline (seconds since the Unix epoch, parallel.max_hours):
  /// training stops, resumable, at the first epoch end after which the next
  /// epoch, as long as the last one, would end past it.
  double deadline = std::numeric_limits<double>::infinity();
  /// Called on the group's leader at most every `progress_every` seconds of
  /// an epoch (nothing else happens in it: it logs). May be empty.
  std::function<void(const TrainProgress&)> on_progress;
  double progress_every = 60;
};

struct TrainOutcome {
  bool ok = false;                ///< false: failed or interrupted (see `message`)
  bool interrupted = false;       ///< stopped by stop_after_epochs or the deadline, resumable
  bool out_of_time = false;       ///< interrupted by TrainOptions::deadline
  std::string message;            ///< why ok is false
  double coarse_test_accuracy = 0;  ///< on the whole test split (NaN: frozen, no head trained)
  double fine_test_accuracy = 0;    ///< runs trained on fine labels; NaN otherwise
  double final_train_loss = 0;
  int epochs_done = 0;
  int resumed_from_epoch = -1;    ///< epoch of the checkpoint it resumed from, -1: fresh start
  /// ok: the (coarse, fine) test accuracies of each analysis, in their order
  /// (the first is also coarse_test_accuracy / fine_test_accuracy).
  std::vector<std::pair<double, double>> analyses;
};

/// A run whose activations are stored from a training: the trained run itself,
/// or a run of the plan with the same training identity (trained_by). Its
/// probe set, labels, test accuracies and file are its own; the network is
/// the one trained.
struct SharedAnalysis {
  const RunSpec* run = nullptr;
  const Dataset* data = nullptr;  ///< its dataset spec's (same samples, its hierarchy)
  std::string run_dir;
};

/// Collective over `comm` (the ranks training this run together; one rank is
/// fine). Data-parallel: `run.train.batch_size` is the global batch, every
/// rank takes a disjoint contiguous shard of each (same permutation on every
/// rank), parameters and buffers start from rank 0's, gradients are summed
/// with each rank's loss weighted by its share of the global batch, so the
/// update equals one-rank training up to rounding. BatchNorm: per-rank batch
/// statistics (running statistics averaged over the group at each epoch end),
/// or group-wide ones with train.sync_batchnorm.
///
/// Writes `<run_dir>/activations.h5` (epoch 0 and the last epoch, every
/// requested probe point, rows sharded over the ranks; under a tmp name
/// renamed when complete), `<run_dir>/checkpoint.pt` (final parameters), and
/// every train.checkpoint_every epochs `<run_dir>/train_state.pt` (model,
/// optimizer with momentum, epoch, data-order and LibTorch RNG states; tmp +
/// rename; removed once the run is complete). A matching train_state.pt is
/// resumed from, ending with the same parameters as an uninterrupted run.
/// A diverged run (non-finite loss, agreed by all ranks) returns ok=false and
/// leaves no complete activations file.
///
/// `init_checkpoint` (a pretraining run's checkpoint.pt, or empty): the model
/// starts from its weights, all but the classifier head ("head.*"), which is
/// freshly initialised; then run.train.finetune applies (full | linear |
/// frozen). run.labels picks the targets (fine: one output per fine class,
/// predicted_coarse maps the prediction up the hierarchy, and the file gets
/// fine_test_accuracy). run.extract_epochs says which epochs are stored.
///
/// `analyses`: the runs whose activations files this training stores (each in
/// its own run_dir, with its own probe set, labels and accuracies; the final
/// model is linked into each directory); empty: `run`'s own, in `run_dir`.
/// The training state and snapshots stay in `run_dir`.
TrainOutcome train_run(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                       MPI_Comm comm, const TrainOptions& options,
                       const std::string& init_checkpoint = "",
                       const std::vector<SharedAnalysis>& analyses = {});

}  // namespace cp
