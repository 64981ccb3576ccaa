#include "clusterprobe/comm/stop_notice.hpp"

#include "clusterprobe/comm/mpi.hpp"

namespace cp {
namespace {

constexpr int kTag = 75;  // on a communicator of its own: any tag would do

}  // namespace

StopNotice::StopNotice(MPI_Comm comm) {
  check_mpi(MPI_Comm_dup(comm, &comm_), "stop notice: MPI_Comm_dup");
  MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  rank_ = comm_rank(comm_);
  size_ = comm_size(comm_);
}

StopNotice::~StopNotice() = default;

bool StopNotice::poll(bool asked) {
  if (asked && !sent_) {
    sent_ = heard_ = true;
    for (int r = 0; r < size_; ++r) {
      if (r == rank_) continue;
      sends_.emplace_back();
      check_mpi(MPI_Isend(&byte_, 1, MPI_CHAR, r, kTag, comm_, &sends_.back()), "stop notice: MPI_Isend");
    }
  }
  for (int flag = 1; flag;) {
    MPI_Status status;
    check_mpi(MPI_Iprobe(MPI_ANY_SOURCE, kTag, comm_, &flag, &status), "stop notice: MPI_Iprobe");
    if (!flag) break;
    char got = 0;
    check_mpi(MPI_Recv(&got, 1, MPI_CHAR, status.MPI_SOURCE, kTag, comm_, MPI_STATUS_IGNORE),
              "stop notice: MPI_Recv");
    ++received_;
    heard_ = true;
  }
  return heard_;
}

bool StopNotice::finish() {
  // Every rank that asked sent one notice to each other rank: receive the rest.
  int senders = sent_ ? 1 : 0;
  check_mpi(MPI_Allreduce(MPI_IN_PLACE, &senders, 1, MPI_INT, MPI_SUM, comm_), "stop notice: MPI_Allreduce");
  for (int left = senders - (sent_ ? 1 : 0) - received_; left > 0; --left) {
    char got = 0;
    check_mpi(MPI_Recv(&got, 1, MPI_CHAR, MPI_ANY_SOURCE, kTag, comm_, MPI_STATUS_IGNORE), "stop notice: MPI_Recv");
  }
  if (!sends_.empty())
    check_mpi(MPI_Waitall(static_cast<int>(sends_.size()), sends_.data(), MPI_STATUSES_IGNORE),
              "stop notice: MPI_Waitall");
  sends_.clear();
  check_mpi(MPI_Comm_free(&comm_), "stop notice: MPI_Comm_free");
  return senders > 0;
}

}  // namespace cp
