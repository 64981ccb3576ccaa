#pragma once
// A scratch directory shared by the ranks of a communicator, for MPI tests.
// Ranks that read files another rank wrote must not see them disappear: rank 0
// removes the directory only after every rank has left the scope (a barrier in
// the destructor), and hands out the name only once it has created it afresh
// (the broadcast orders the creation before every other rank's first use).
#include <mpi.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "clusterprobe/comm/mpi.hpp"

namespace cp::test {

class GroupScratch {
 public:
  /// Collective over comm. <tmp>/cp-<name>-<pid of comm's rank 0>, empty.
  /// MPI_COMM_SELF gives each rank a directory of its own.
  GroupScratch(MPI_Comm comm, const std::string& name) : comm_(comm) {
    std::string dir;
    if (comm_rank(comm_) == 0) {
      dir = (std::filesystem::temp_directory_path() /
             ("cp-" + name + "-" + std::to_string(::getpid())))
                .string();
      std::filesystem::remove_all(dir);  // a leftover of an earlier process with this pid
      std::filesystem::create_directories(dir);
    }
    path_ = broadcast_bytes(dir, comm_, 0);
  }
  /// Collective over comm.
  ~GroupScratch() {
    MPI_Barrier(comm_);
    std::error_code ignored;  // a destructor must not throw; a leftover is harmless
    if (comm_rank(comm_) == 0) std::filesystem::remove_all(path_, ignored);
  }
  GroupScratch(const GroupScratch&) = delete;
  GroupScratch& operator=(const GroupScratch&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string string() const { return path_.string(); }
  std::filesystem::path operator/(const std::filesystem::path& p) const { return path_ / p; }

 private:
  MPI_Comm comm_;
  std::filesystem::path path_;
};

}  // namespace cp::test
