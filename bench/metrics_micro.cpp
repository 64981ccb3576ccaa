// Google Benchmark micro-benchmarks of the metrics and k-means on small,
// generated inputs: a quick way to see a regression after a change.
//   build-*/bench/metrics_micro [--benchmark_filter=Silhouette]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <vector>

#include "clusterprobe/cluster/kmeans.hpp"
#include "clusterprobe/metrics/cka.hpp"
#include "clusterprobe/metrics/clustering.hpp"
#include "clusterprobe/metrics/collapse.hpp"
#include "clusterprobe/metrics/silhouette.hpp"

namespace {

struct Data {
  cp::RowMatrixXf X;
  std::vector<std::int32_t> labels;
};

/// k Gaussian blobs (centres ~ N(0, 4), unit noise), row i in blob i % k.
Data blobs(int n, int dim, int k, std::uint64_t seed = 1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  cp::RowMatrixXf centres(k, dim);
  for (int c = 0; c < k; ++c)
    for (int j = 0; j < dim; ++j) centres(c, j) = 2.0f * normal(rng);
  Data d{cp::RowMatrixXf(n, dim), std::vector<std::int32_t>(n)};
  for (int i = 0; i < n; ++i) {
    d.labels[i] = i % k;
    for (int j = 0; j < dim; ++j) d.X(i, j) = centres(i % k, j) + normal(rng);
  }
  return d;
}

void BM_SilhouetteEuclidean(benchmark::State& state) {
  const Data d = blobs(static_cast<int>(state.range(0)), 128, 10);
  for (auto _ : state) benchmark::DoNotOptimize(cp::silhouette(d.X, d.labels, "euclidean"));
}
BENCHMARK(BM_SilhouetteEuclidean)->Arg(1000)->Arg(4000)->Unit(benchmark::kMillisecond);

// The exact path at the default max_points (20000 rows), 512 dimensions:
// 20000^2 x 512 multiply-adds in double, the cost a study pays per layer.
void BM_SilhouetteEuclideanDefaultMax(benchmark::State& state) {
  const Data d = blobs(20000, 512, 10);
  for (auto _ : state) benchmark::DoNotOptimize(cp::silhouette(d.X, d.labels, "euclidean"));
}
BENCHMARK(BM_SilhouetteEuclideanDefaultMax)->Iterations(1)->Unit(benchmark::kSecond);

void BM_SilhouetteCosine(benchmark::State& state) {
  const Data d = blobs(static_cast<int>(state.range(0)), 128, 10);
  for (auto _ : state) benchmark::DoNotOptimize(cp::silhouette(d.X, d.labels, "cosine"));
}
BENCHMARK(BM_SilhouetteCosine)->Arg(4000)->Arg(20000)->Unit(benchmark::kMillisecond);

void BM_LinearCka(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0)), dim = static_cast<int>(state.range(1));
  const Data a = blobs(n, dim, 10, 1), b = blobs(n, dim / 2, 10, 2);
  for (auto _ : state) benchmark::DoNotOptimize(cp::linear_cka(a.X, b.X));
}
BENCHMARK(BM_LinearCka)->Args({4000, 256})->Args({500, 4000})->Unit(benchmark::kMillisecond);

void BM_Nc1(benchmark::State& state) {
  const Data d = blobs(5000, static_cast<int>(state.range(0)), 10);
  for (auto _ : state) benchmark::DoNotOptimize(cp::nc1(d.X, d.labels));
}
BENCHMARK(BM_Nc1)->Arg(8)->Arg(512)->Unit(benchmark::kMillisecond);

void BM_SubclassSelectivity(benchmark::State& state) {
  const Data d = blobs(5000, 512, 20);
  std::vector<std::int32_t> coarse(d.labels.size());
  for (std::size_t i = 0; i < coarse.size(); ++i) coarse[i] = d.labels[i] / 4;
  for (auto _ : state) benchmark::DoNotOptimize(cp::subclass_selectivity(d.X, d.labels, coarse));
}
BENCHMARK(BM_SubclassSelectivity)->Unit(benchmark::kMillisecond);

void BM_Ami(benchmark::State& state) {
  std::mt19937_64 rng(3);
  const auto k = static_cast<std::uint64_t>(state.range(0));
  std::vector<std::int32_t> t(100000), p(100000);
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = static_cast<std::int32_t>(rng() % k);
    p[i] = static_cast<std::int32_t>(rng() % k);
  }
  for (auto _ : state) benchmark::DoNotOptimize(cp::adjusted_mutual_info(t, p));
}
BENCHMARK(BM_Ami)->Arg(10)->Arg(300)->Unit(benchmark::kMillisecond);

void BM_KMeans(benchmark::State& state) {
  const Data d = blobs(20000, static_cast<int>(state.range(0)), 10);
  cp::KMeansParams params;
  params.k = 10;
  params.restarts = 1;
  params.max_iter = 10;
  params.tol = 0.0;
  for (auto _ : state) benchmark::DoNotOptimize(cp::kmeans(d.X, params).inertia);
}
BENCHMARK(BM_KMeans)->Arg(32)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
