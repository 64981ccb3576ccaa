#include "checkpoint.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/io/atomic_file.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

// The generator that draws this device's random numbers (initialisation,
// dropout): saved so a resumed run draws what the uninterrupted one would.
at::Generator generator_of(const torch::Device& device) {
  return device.is_cuda() ? at::globalContext().defaultGenerator(device)
                          : at::detail::getDefaultCPUGenerator();
}

torch::Tensor generator_state(const torch::Device& device) {
  auto gen = generator_of(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get_state();
}

void set_generator_state(const torch::Device& device, const torch::Tensor& state) {
  auto gen = generator_of(device);
  std::lock_guard<std::mutex> lock(gen.mutex());
  gen.set_state(state.to(torch::kCPU));
}

std::string serialise(const TrainState& state, torch::nn::Module& model,
                      torch::optim::Optimizer& optimizer, const torch::Device& device) {
  torch::serialize::OutputArchive archive;
  archive.write("run_id", c10::IValue(state.run_id));
  archive.write("epochs_total", c10::IValue(static_cast<std::int64_t>(state.epochs_total)));
  archive.write("epochs_done", c10::IValue(static_cast<std::int64_t>(state.epochs_done)));
  archive.write("last_loss", c10::IValue(state.last_loss));
  std::ostringstream rng;
  rng << state.order_rng;
  archive.write("order_rng", c10::IValue(rng.str()));
  archive.write("next_sample", c10::IValue(state.next_sample));
  archive.write("partial_loss", c10::IValue(state.partial_loss));
  archive.write("partial_correct", c10::IValue(state.partial_correct));
  archive.write("torch_rng", generator_state(device), /*is_buffer=*/true);
  torch::serialize::OutputArchive model_archive, optim_archive;
  model.save(model_archive);
  optimizer.save(optim_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optim_archive);
  std::ostringstream bytes;
  archive.save_to(bytes);
  return bytes.str();
}

std::int64_t read_int(torch::serialize::InputArchive& a, const std::string& key) {
  c10::IValue v;
  a.read(key, v);
  return v.toInt();
}

}  // namespace

void save_train_state(const std::string& path, const TrainState& state, torch::nn::Module& model,
                      torch::optim::Optimizer& optimizer, const torch::Device& device,
                      MPI_Comm comm) {
  collective(comm, [&] {
    if (comm_rank(comm) == 0) write_file_atomically(path, serialise(state, model, optimizer, device));
  });
}

std::optional<TrainState> load_train_state(const std::string& path, const std::string& run_id,
                                           int epochs_total, torch::nn::Module& model,
                                           torch::optim::Optimizer& optimizer,
                                           const torch::Device& device, MPI_Comm comm) {
  // Rank 0 decides and reads, so the group agrees even if ranks see different file systems.
  std::string bytes;
  collective(comm, [&] {
    if (comm_rank(comm) == 0 && fs::exists(path)) bytes = read_regular_input(path, "training state file");
  });
  bytes = broadcast_bytes(bytes, comm, 0);
  if (bytes.empty()) return std::nullopt;

  // Every rank parses the same bytes, so every rank takes the same branch below.
  std::vector<torch::Tensor> snapshot;
  for (const auto& t : model.parameters()) snapshot.push_back(t.detach().clone());
  for (const auto& t : model.buffers()) snapshot.push_back(t.detach().clone());
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(bytes.data(), bytes.size(), device);
    c10::IValue id;
    archive.read("run_id", id);
    TrainState state;
    state.run_id = id.toStringRef();
    state.epochs_total = static_cast<int>(read_int(archive, "epochs_total"));
    if (state.run_id != run_id || state.epochs_total != epochs_total) {
      if (comm_rank(comm) == 0)
        spdlog::warn("{}: belongs to run {} with {} epochs, not this run: ignored", path,
                     state.run_id, state.epochs_total);
      return std::nullopt;
    }
    state.epochs_done = static_cast<int>(read_int(archive, "epochs_done"));
    c10::IValue loss, rng;
    archive.read("last_loss", loss);
    state.last_loss = loss.toDouble();
    archive.read("order_rng", rng);
    std::istringstream rng_text(rng.toStringRef());
    rng_text >> state.order_rng;
    if (!rng_text) throw InputError("bad data-order RNG state");
    // Checkpoints written before step-level stops have no position inside an epoch.
    c10::IValue next, partial_loss, partial_correct;
    if (archive.try_read("next_sample", next)) state.next_sample = next.toInt();
    if (archive.try_read("partial_loss", partial_loss)) state.partial_loss = partial_loss.toDouble();
    if (archive.try_read("partial_correct", partial_correct)) state.partial_correct = partial_correct.toDouble();
    torch::Tensor torch_rng;
    archive.read("torch_rng", torch_rng, /*is_buffer=*/true);
    torch::serialize::InputArchive model_archive, optim_archive;
    archive.read("model", model_archive);
    archive.read("optimizer", optim_archive);
    model.load(model_archive);
    optimizer.load(optim_archive);
    set_generator_state(device, torch_rng);
    return state;
  } catch (const std::exception& e) {
    // Undo a partial load: the run restarts from its initial model.
    torch::NoGradGuard no_grad;
    std::size_t i = 0;
    for (auto& t : model.parameters()) t.copy_(snapshot[i++]);
    for (auto& t : model.buffers()) t.copy_(snapshot[i++]);
    optimizer.state().clear();  // it was empty before: load runs before the first step
    if (comm_rank(comm) == 0)
      spdlog::warn("{}: unreadable training checkpoint ({}): starting the run over", path, e.what());
    return std::nullopt;
  }
}

}  // namespace cp
