#pragma once
// A stop request spread over a communicator without a collective call: work
// that ranks do on their own (the cluster stage's items) cannot stop in an
// all-reduce as training does, yet a signal to one rank (or to the ranks at
// slightly different times) must stop every rank at its next item. The first
// rank that sees a stop tells every other one point to point; the others see
// it when they poll, which never blocks (MPI_Iprobe also drives progress).
// No rank waits for another until finish(), which every rank reaches.
#include <mpi.h>

#include <vector>

namespace cp {

class StopNotice {
 public:
  /// Collective over comm (MPI_Comm_dup: the notices never meet other messages).
  explicit StopNotice(MPI_Comm comm);
  /// Local. A notice that was not finished (the stage is unwinding towards an
  /// abort or an agreed error) frees nothing: no rank may block here.
  ~StopNotice();
  StopNotice(const StopNotice&) = delete;
  StopNotice& operator=(const StopNotice&) = delete;

  /// Local. `asked`: this rank was asked to stop (a signal). Tells the other
  /// ranks once; returns whether any rank asked, as far as this rank has heard.
  bool poll(bool asked);

  /// Collective over comm. Receives every notice still under way and frees
  /// the communicator; true on every rank if any rank asked.
  bool finish();

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool sent_ = false, heard_ = false;
  int received_ = 0;
  char byte_ = 1;
  std::vector<MPI_Request> sends_;
};

}  // namespace cp
