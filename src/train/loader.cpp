// The loader of the training module (train/module.hpp): part of the core
// library, which maps the module the first time a command trains.
#include "clusterprobe/train/module.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/libraries.hpp"

namespace cp {

namespace {

std::string module_path() {
  if (const char* env = std::getenv("CLUSTERPROBE_TRAIN_MODULE"); env && *env) return env;
  // Next to the core library: the build tree and an installed lib/ alike.
  const auto core = library_of(reinterpret_cast<const void*>(&trainer_module));
  return (std::filesystem::path(core).parent_path() / "libclusterprobe_train.so").string();
}

const TrainerModule* load() {
  const std::string path = module_path();
  // RTLD_LOCAL: only its entry point is looked up; its own dependencies
  // (LibTorch) stay out of the global namespace of later loads.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    throw InternalError("cannot load the training module " + path + ": " + (why ? why : "unknown reason") +
                        " (it is built next to the core library; CLUSTERPROBE_TRAIN_MODULE names another)");
  }
  using Entry = const TrainerModule* (*)();
  auto entry = reinterpret_cast<Entry>(dlsym(handle, "clusterprobe_trainer_module"));
  const TrainerModule* module = entry ? entry() : nullptr;
  if (!module) throw InternalError(path + ": not a ClusterProbe training module (no clusterprobe_trainer_module)");
  if (std::string(module->version) != CLUSTERPROBE_VERSION || module->abi != trainer_abi())
    throw InternalError(path + ": a training module of another build (version " + module->version +
                        ", this is " CLUSTERPROBE_VERSION "): rebuild both");
  return module;
}

}  // namespace

const TrainerModule& trainer_module() {
  // A failed load is retried on the next call, and throws again there.
  static std::mutex mutex;
  static const TrainerModule* module = nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  if (!module) module = load();
  return *module;
}

}  // namespace cp
