// Activation-file I/O: writes one synthetic layer [rows x cols] the way
// training does (every rank of MPI_COMM_WORLD its block of rows, collective
// transfers, float32 or float16, optionally deflated), flushes it to disk,
// then reads it back on rank 0 as the cluster stage does. Prints one JSON
// line. Not a test: bench/io_vs_dd.sh sets it against dd on the same disk.
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

#include "clusterprobe/io/activations.hpp"

namespace {

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (argv[i] == name) return argv[i + 1];
  return fallback;
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
  // A cold read, where the kernel lets us drop the page cache (root).
  int cold = 0;
  if (rank == 0) {
    ::sync();
    if (FILE* drop = std::fopen("/proc/sys/vm/drop_caches", "w")) {
      cold = std::fputs("3\n", drop) >= 0;
      cold = std::fclose(drop) == 0 && cold;
    }
  }
  struct stat st {};
  ::stat(path.c_str(), &st);
  if (rank == 0) {
    const double t1 = now();
    cp::ActivationFile file(path);
    const auto m = file.read(file.layers().at(0));
    read_s = now() - t1;
    const double logical = static_cast<double>(rows * cols * 4);
    std::printf("{\"rows\": %lld, \"cols\": %lld, \"dtype\": \"%s\", \"deflate\": %d, \"ranks\": %d, "
                "\"float32_bytes\": %.0f, \"file_bytes\": %lld, \"ratio\": %.3f, \"write_s\": %.4f, \"read_s\": %.4f, "
                "\"write_file_MBps\": %.1f, \"read_file_MBps\": %.1f, \"cold_read\": %d, \"check\": %g}\n",
                static_cast<long long>(rows), static_cast<long long>(cols), dtype.c_str(), deflate, size, logical,
                static_cast<long long>(st.st_size), logical / static_cast<double>(st.st_size), write_s, read_s,
                static_cast<double>(st.st_size) / write_s / 1e6, static_cast<double>(st.st_size) / read_s / 1e6, cold,
                static_cast<double>(m(0, 0)));
  }
  MPI_Finalize();
  return 0;
}
