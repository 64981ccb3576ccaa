// Times cp::adjusted_mutual_info on large labelings (the expected-mutual-
// information term dominates) and prints one JSON object.
//   ami_bench [--n N] [--clusters K] [--skewed] [--seed S] [--repeats R]
//   ami_bench --truth FILE --pred FILE [--repeats R]   (raw int32 files)
// Generated labelings: N labels drawn uniformly from K clusters on each side
// (sizes ~ N/K, so few distinct sizes), or with --skewed, cluster c drawn
// with probability proportional to c + 1 (many distinct sizes: the hard case
// for the EMI term, whose work grows with the distinct (row, column) sizes).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;

Labels read_labels(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot open " + path);
  const auto bytes = static_cast<std::size_t>(in.tellg());
  Labels out(bytes / sizeof(std::int32_t));
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(bytes));
  return out;
}

Labels generate(std::size_t n, int clusters, bool skewed, std::mt19937_64& rng) {
  std::vector<double> weights(static_cast<std::size_t>(clusters));
  for (int c = 0; c < clusters; ++c) weights[c] = skewed ? c + 1.0 : 1.0;
  std::discrete_distribution<std::int32_t> pick(weights.begin(), weights.end());
  Labels out(n);
  for (auto& l : out) l = pick(rng);
  return out;
}

std::size_t distinct(const Labels& l) { return std::set<std::int32_t>(l.begin(), l.end()).size(); }

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 1000000;
  int clusters = 1000, repeats = 3;
  bool skewed = false;
  std::uint64_t seed = 0;
  std::string truth_path, pred_path;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--n") n = std::stoull(next());
    else if (a == "--clusters") clusters = std::stoi(next());
    else if (a == "--skewed") skewed = true;
    else if (a == "--seed") seed = std::stoull(next());
    else if (a == "--repeats") repeats = std::max(1, std::stoi(next()));
    else if (a == "--truth") truth_path = next();
    else if (a == "--pred") pred_path = next();
    else {
      std::cerr << "unknown argument " << a << "\n";
      return 2;
    }
  }
  Labels truth, pred;
  if (!truth_path.empty() || !pred_path.empty()) {
    truth = read_labels(truth_path);
    pred = read_labels(pred_path);
  } else {
    std::mt19937_64 rng(seed);
    truth = generate(n, clusters, skewed, rng);
    pred = generate(n, clusters, skewed, rng);
  }
  std::vector<double> seconds;
  double ami = 0;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    ami = cp::adjusted_mutual_info(truth, pred);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::vector<double> sorted = seconds;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"n\": %zu, \"clusters_truth\": %zu, \"clusters_pred\": %zu, \"skewed\": %s, "
              "\"ami\": %.17g, \"seconds\": %.6f, \"seconds_all\": [",
              truth.size(), distinct(truth), distinct(pred), skewed ? "true" : "false", ami,
              sorted[sorted.size() / 2]);
  for (std::size_t i = 0; i < seconds.size(); ++i) std::printf("%s%.6f", i ? ", " : "", seconds[i]);
  std::printf("]}\n");
  return 0;
}
