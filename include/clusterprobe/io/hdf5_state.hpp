#pragma once
// Whether HDF5 can still be shut down safely in this process.

namespace cp {
namespace h5 {
/// True once an H5Fclose failed here (a full disk under a parallel file): the
/// HDF5 1.10 of Debian 12 keeps such a file half-destroyed and crashes when it
/// terminates inside MPI_Finalize, so the process must leave without it.
bool close_failed();
}  // namespace h5
}  // namespace cp
