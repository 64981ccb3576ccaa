#pragma once
// Training one run on coarse labels, and storing its probe activations.
// Torch-free header: the pipeline calls it without paying for <torch/torch.h>.
#include <mpi.h>

#include <string>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace cp {

struct TrainOutcome {
  bool ok = false;                ///< false: the run diverged (its reason in `message`)
  std::string message;
  double coarse_test_accuracy = 0;  ///< on the whole test split
  double final_train_loss = 0;
  int epochs_done = 0;
};

/// Collective over `comm` (the ranks training this run; one rank for now).
/// Trains `run` on `data`'s coarse labels and writes `<run_dir>/activations.h5`
/// (epoch 0 and the last epoch, every requested probe point; under a tmp name
/// renamed when complete) and `<run_dir>/checkpoint.pt`. A diverged run (NaN
/// loss) is returned with ok=false and leaves no complete activations file.
TrainOutcome train_run(const RunSpec& run, const Dataset& data, const std::string& run_dir,
                       MPI_Comm comm, int threads);

}  // namespace cp
