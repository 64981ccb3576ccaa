// The training module's entry point (see clusterprobe/train/module.hpp).
#include "clusterprobe/train/module.hpp"

#include <torch/version.h>

#include "clusterprobe/build_config.hpp"

extern "C" const cp::TrainerModule* clusterprobe_trainer_module() {
  static const cp::TrainerModule module{CLUSTERPROBE_VERSION, cp::trainer_abi(), TORCH_VERSION,
                                        &cp::plan_execution, &cp::train_run, &cp::shared_gpu};
  return &module;
}
