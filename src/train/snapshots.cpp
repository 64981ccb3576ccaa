#include "snapshots.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>

#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"

namespace cp {

namespace fs = std::filesystem;

std::string snapshot_path(const std::string& run_dir, int epoch) {
  return (fs::path(run_dir) / ("epoch_" + std::to_string(epoch) + ".pt")).string();
}

void save_model_file(torch::nn::Module& model, const std::string& path, MPI_Comm comm) {
  std::string error;
  if (comm_rank(comm) == 0) {
    try {
      torch::serialize::OutputArchive archive;
      model.save(archive);
      const auto tmp = path + ".tmp";
      archive.save_to(tmp);
      fs::rename(tmp, path);
    } catch (const std::exception& e) {
      error = path + ": cannot write the model: " + e.what();
    }
  }
  error = first_error(error, comm);
  if (!error.empty()) throw IoError(error);
}

void load_model_file(torch::nn::Module& model, const std::string& path, const torch::Device& device,
                     MPI_Comm comm) {
  std::string bytes;
  if (comm_rank(comm) == 0) {
    std::ifstream in(path, std::ios::binary);
    if (in) bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  bytes = broadcast_bytes(bytes, comm, 0);
  std::string error;
  if (bytes.empty()) {
    error = path + ": missing or empty model file";
  } else {
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(bytes.data(), bytes.size(), device);
      model.load(archive);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      error = path + ": cannot load the model: " + what.substr(0, what.find('\n'));
    }
  }
  error = first_error(error, comm);
  if (!error.empty()) throw InputError(error);
}

}  // namespace cp
