// Activation-file I/O: writes one synthetic layer [rows x cols] the way
// training does (every rank of MPI_COMM_WORLD its block of rows, collective
// transfers, float32 or float16, optionally deflated), flushes it to disk,
// then reads it back on rank 0 as the cluster stage does for an item in
// memory. Then every rank reads its block of rows, as a large item's ranks
// do: independently (each rank's own file handle, the stage's way) and
// collectively (the MPI-IO driver, collective transfers), each from a cold
// page cache where it can be dropped. Prints one JSON line. Not a test:
// bench/io_vs_dd.sh sets it against dd on the same disk.
//
//   mpiexec -n 2 activation_io --dir /tmp/x --rows 100000 --cols 512 --dtype float16 --deflate 4
#include <fcntl.h>
#include <mpi.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <hdf5.h>

#include "clusterprobe/io/activations.hpp"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
}

// Drops the page cache (root only; 1 if it could).
int drop_caches(int rank) {
  int cold = 0;
  if (rank == 0) {
    ::sync();
    if (FILE* drop = std::fopen("/proc/sys/vm/drop_caches", "w")) {
      cold = std::fputs("3\n", drop) >= 0;
      cold = std::fclose(drop) == 0 && cold;
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return cold;
}

// Every rank's block [first, first + count) of the layer through the MPI-IO
// driver with collective transfers; float32 files only (the bench's check).
double read_collective(const std::string& path, std::int64_t first, std::int64_t count, std::int64_t cols) {
  std::vector<float> out(static_cast<std::size_t>(std::max<std::int64_t>(count * cols, 1)));
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now();
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  const hid_t dset = H5Dopen2(file, "/epoch_1/layer", H5P_DEFAULT);
  const hid_t fspace = H5Dget_space(dset);
  const hsize_t start[2] = {static_cast<hsize_t>(first), 0}, block[2] = {static_cast<hsize_t>(count), static_cast<hsize_t>(cols)};
  H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, nullptr, block, nullptr);
  const hid_t mspace = H5Screate_simple(2, block, nullptr);
  const hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
  H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
  const herr_t status = H5Dread(dset, H5T_NATIVE_FLOAT, mspace, fspace, dxpl, out.data());
  for (hid_t id : {dxpl, fapl}) H5Pclose(id);
  for (hid_t id : {mspace, fspace}) H5Sclose(id);
  H5Dclose(dset);
  H5Fclose(file);
  MPI_Barrier(MPI_COMM_WORLD);
  return status < 0 ? -1.0 : now() - t0;
}

double read_independent(const std::string& path, std::int64_t first, std::int64_t count) {
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now();
  {
    cp::ActivationFile file(path);
    const auto m = file.read_rows(file.layers().at(0), first, count);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  return now() - t0;
}

}  // namespace

int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const std::string dir = arg(argc, argv, "--dir", "/tmp");
  const std::int64_t rows = std::atoll(arg(argc, argv, "--rows", "100000").c_str());
  const std::int64_t cols = std::atoll(arg(argc, argv, "--cols", "512").c_str());
  const std::string dtype = arg(argc, argv, "--dtype", "float32");
  const int deflate = std::atoi(arg(argc, argv, "--deflate", "0").c_str());
  const std::string path = dir + "/activation_io.h5";

  // Post-ReLU-like rows: about half zeros, the rest spread over a few scales.
  const std::int64_t first = rows * rank / size, last = rows * (rank + 1) / size;
  std::vector<float> block(static_cast<std::size_t>((last - first) * cols));
  std::mt19937 rng(1234 + static_cast<unsigned>(rank));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (auto& v : block) v = std::max(0.0f, normal(rng) * 2.0f);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(last - first), 0);
  if (!labels.empty()) labels[0] = 1;

  cp::ActivationMeta meta;
  meta.run_id = "bench";
  meta.half = dtype == "float16";
  meta.deflate = deflate;
  MPI_Barrier(MPI_COMM_WORLD);
  const double t0 = now();
  {
    cp::ActivationWriter writer(path, MPI_COMM_WORLD, meta, rows);
    writer.write_labels(first, last - first, labels.data(), labels.data(), nullptr);
    writer.write_layer(1, "layer", cols, first, last - first, block.data());
    writer.commit();
  }
  if (rank == 0) {
    // On the disk, as dd's conv=fdatasync is.
    const int fd = ::open(path.c_str(), O_RDONLY);
    ::fsync(fd);
    ::close(fd);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const double write_s = now() - t0;
  double read_s = 0;
  // Cold reads, where the kernel lets us drop the page cache (root).
  const int cold = drop_caches(rank);
  struct stat st {};
  ::stat(path.c_str(), &st);
  if (rank == 0) {
    const double t1 = now();
    cp::ActivationFile file(path);
    const auto m = file.read(file.layers().at(0));
    read_s = now() - t1;
  }
  // Every rank its block: independent handles, then collective transfers.
  drop_caches(rank);
  const double independent_s = read_independent(path, first, last - first);
  drop_caches(rank);
  const double collective_s = dtype == "float32" ? read_collective(path, first, last - first, cols) : -1.0;
  if (rank == 0) {
    const double logical = static_cast<double>(rows * cols * 4);
    std::printf("{\"rows\": %lld, \"cols\": %lld, \"dtype\": \"%s\", \"deflate\": %d, \"ranks\": %d, "
                "\"float32_bytes\": %.0f, \"file_bytes\": %lld, \"ratio\": %.3f, \"write_s\": %.4f, \"read_s\": %.4f, "
                "\"write_file_MBps\": %.1f, \"read_file_MBps\": %.1f, \"cold_read\": %d, "
                "\"read_blocks_independent_s\": %.4f, \"read_blocks_collective_s\": %.4f}\n",
                static_cast<long long>(rows), static_cast<long long>(cols), dtype.c_str(), deflate, size, logical,
                static_cast<long long>(st.st_size), logical / static_cast<double>(st.st_size), write_s, read_s,
                static_cast<double>(st.st_size) / write_s / 1e6, static_cast<double>(st.st_size) / read_s / 1e6, cold,
                independent_s, collective_s);
  }
  MPI_Finalize();
  return 0;
}
