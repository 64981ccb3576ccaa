// Times cp::kmeans on a raw float32 row-major matrix and prints one JSON
// object (seconds, inertia, iterations). Lloyd runs exactly as asked: tol 0
// (it stops early only when the inertia stops decreasing), 1 restart.
//   kmeans_bench --data FILE --rows N --cols D --k K [--iters 20] [--seed 0]
//                [--init FILE] [--centroids-out FILE] [--seeding-rows N]
//                [--restarts R]
// --init FILE: K x D float32 starting centroids (cp::kmeans_from, no seeding).
// --centroids-out FILE: the final centroids, K x D float32, for an inertia
// computed outside (bench/kmeans_vs_peers.py scores every method alike).
// Threads: OpenMP's, e.g. OMP_NUM_THREADS=2.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "clusterprobe/cluster/kmeans.hpp"
#ifdef _OPENMP
#include <omp.h>
#endif

namespace {

cp::RowMatrixXf read_matrix(const std::string& path, long rows, long cols) {
  cp::RowMatrixXf m(rows, cols);
  std::ifstream in(path, std::ios::binary);
  in.read(reinterpret_cast<char*>(m.data()), static_cast<std::streamsize>(sizeof(float) * m.size()));
  if (!in) throw std::runtime_error("cannot read " + std::to_string(rows) + "x" +
                                    std::to_string(cols) + " float32 from " + path);
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  std::string data, init, out;
  long rows = 0, cols = 0;
  cp::KMeansParams params;
  params.tol = 0.0;
  params.restarts = 1;
  params.max_iter = 20;
  params.seed = 0;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      const std::string v = argv[++i];
      if (a == "--data") data = v;
      else if (a == "--rows") rows = std::stol(v);
      else if (a == "--cols") cols = std::stol(v);
      else if (a == "--k") params.k = std::stoi(v);
      else if (a == "--iters") params.max_iter = std::stoi(v);
      else if (a == "--seed") params.seed = std::stoull(v);
      else if (a == "--seeding-rows") params.seeding_rows = std::stoll(v);
      else if (a == "--restarts") params.restarts = std::stoi(v);
      else if (a == "--init") init = v;
      else if (a == "--centroids-out") out = v;
      else throw std::runtime_error("unknown argument " + a);
    }
    if (data.empty() || rows <= 0 || cols <= 0) throw std::runtime_error("need --data, --rows, --cols");
    const cp::RowMatrixXf X = read_matrix(data, rows, cols);
    cp::RowMatrixXf C0;
    if (!init.empty()) C0 = read_matrix(init, params.k, cols);
    const auto t0 = std::chrono::steady_clock::now();
    const cp::KMeansResult r = init.empty() ? cp::kmeans(X, params) : cp::kmeans_from(X, C0, params);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!out.empty()) {
      std::ofstream(out, std::ios::binary)
          .write(reinterpret_cast<const char*>(r.centroids.data()),
                 static_cast<std::streamsize>(sizeof(float) * r.centroids.size()));
    }
    int threads = 1;
#ifdef _OPENMP
    threads = omp_get_max_threads();
#endif
    std::printf("{\"rows\": %ld, \"cols\": %ld, \"k\": %d, \"init\": \"%s\", \"threads\": %d, "
                "\"seconds\": %.6f, \"iterations\": %d, \"inertia\": %.17g}\n",
                rows, cols, params.k, init.empty() ? "k-means++" : "given", threads, seconds,
                r.iterations, r.inertia);
  } catch (const std::exception& e) {
    std::cerr << "kmeans_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
