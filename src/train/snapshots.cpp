#include "snapshots.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/io/atomic_file.hpp"

namespace cp {


void save_model_file(torch::nn::Module& model, const std::string& path, MPI_Comm comm) {
  collective(comm, [&] {
    if (comm_rank(comm) != 0) return;
    torch::serialize::OutputArchive archive;
    model.save(archive);
    std::ostringstream bytes;
    archive.save_to(bytes);
    write_file_atomically(path, bytes.str());
  });
}

void load_model_file(torch::nn::Module& model, const std::string& path, const torch::Device& device,
                     MPI_Comm comm) {
  std::string bytes;
  collective(comm, [&] {
    if (comm_rank(comm) == 0 && std::filesystem::exists(path)) bytes = read_regular_input(path, "model file");
  });
  bytes = broadcast_bytes(bytes, comm, 0);
  collective(comm, [&] {
    if (bytes.empty()) throw InputError(path + ": missing or empty model file");
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(bytes.data(), bytes.size(), device);
      model.load(archive);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      throw InputError(path + ": cannot load the model: " + what.substr(0, what.find('\n')));
    }
  });
}

}  // namespace cp
