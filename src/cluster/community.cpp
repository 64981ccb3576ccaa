// Community detection through igraph 0.10, and modularity computed directly.
//
// igraph's Leiden optimises the constant Potts model
//   Q = 1/(2m) sum_ij (A_ij - gamma' n_i n_j) delta(c_i, c_j)
// for node weights n_i; with n_i = k_i (the strength) and gamma' =
// gamma / (2m) this is exactly Newman's modularity with resolution gamma.
// Passing no node weights would optimise CPM with unit weights instead, a
// different objective that ignores degrees.
#include "clusterprobe/cluster/community.hpp"
#include "clusterprobe/cluster/params.hpp"

#include <igraph/igraph.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

using Index = Eigen::Index;
constexpr double kLeidenBeta = 0.01;     // igraph's default randomness of the refinement
constexpr igraph_integer_t kUntilStable = -1;

void check(igraph_error_t code, const char* what) {
  if (code != IGRAPH_SUCCESS) CP_THROW_INTERNAL(std::string(what) + ": " + igraph_strerror(code));
}

/// Owns an igraph object: init in the constructor, destroy in the destructor,
/// so an exception never leaks igraph memory.
class RealVector {
 public:
  explicit RealVector(Index n) { check(igraph_vector_init(&v_, n), "igraph_vector_init"); }
  ~RealVector() { igraph_vector_destroy(&v_); }
  RealVector(const RealVector&) = delete;
  RealVector& operator=(const RealVector&) = delete;
  igraph_vector_t* get() { return &v_; }
  igraph_real_t& operator[](Index i) { return VECTOR(v_)[i]; }

 private:
  igraph_vector_t v_;
};

class IntVector {
 public:
  explicit IntVector(Index n) { check(igraph_vector_int_init(&v_, n), "igraph_vector_int_init"); }
  ~IntVector() { igraph_vector_int_destroy(&v_); }
  IntVector(const IntVector&) = delete;
  IntVector& operator=(const IntVector&) = delete;
  igraph_vector_int_t* get() { return &v_; }
  igraph_integer_t& operator[](Index i) { return VECTOR(v_)[i]; }

 private:
  igraph_vector_int_t v_;
};

/// Edges of W's strict upper triangle with a nonzero weight.
Index count_edges(const Affinity& W) {
  Index m = 0;
  for (Index i = 0; i < W.rows(); ++i) {
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() > i && it.value() != 0.0) ++m;
    }
  }
  return m;
}

/// The weighted undirected graph of W's strict upper triangle.
class Graph {
 public:
  explicit Graph(const Affinity& W) : weights_(count_edges(W)) {
    IntVector edges(2 * igraph_vector_size(weights_.get()));
    Index e = 0;
    for (Index i = 0; i < W.rows(); ++i) {
      for (Affinity::InnerIterator it(W, i); it; ++it) {
        if (it.col() <= i || it.value() == 0.0) continue;
        edges[2 * e] = i;
        edges[2 * e + 1] = it.col();
        weights_[e++] = it.value();
      }
    }
    check(igraph_create(&g_, edges.get(), W.rows(), IGRAPH_UNDIRECTED), "igraph_create");
  }
  ~Graph() { igraph_destroy(&g_); }
  Graph(const Graph&) = delete;
  Graph& operator=(const Graph&) = delete;
  const igraph_t* get() const { return &g_; }
  igraph_vector_t* weights() { return weights_.get(); }

 private:
  RealVector weights_;
  igraph_t g_;
};

/// Routes igraph errors back as return codes (igraph's default handler
/// aborts the process) for the lifetime of the guard, then restores it.
class IgnoreIgraphErrors {
 public:
  IgnoreIgraphErrors() : previous_(igraph_set_error_handler(igraph_error_handler_ignore)) {}
  ~IgnoreIgraphErrors() { igraph_set_error_handler(previous_); }
  IgnoreIgraphErrors(const IgnoreIgraphErrors&) = delete;
  IgnoreIgraphErrors& operator=(const IgnoreIgraphErrors&) = delete;

 private:
  igraph_error_handler_t* previous_;
};

std::mutex igraph_mutex;

void check_affinity(const Affinity& W) {
  CP_ASSERT(W.rows() == W.cols(), "affinity is " + std::to_string(W.rows()) + " x " +
                                      std::to_string(W.cols()));
  const Eigen::Map<const Eigen::VectorXd> values(W.valuePtr(), W.nonZeros());
  CP_ASSERT(values.allFinite() && (values.size() == 0 || values.minCoeff() >= 0.0),
            "affinity weights must be finite and non-negative");
}

/// Off-diagonal row sums of W.
std::vector<double> strengths(const Affinity& W) {
  std::vector<double> k(static_cast<std::size_t>(W.rows()), 0.0);
  for (Index i = 0; i < W.rows(); ++i) {
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() != i) k[i] += it.value();
    }
  }
  return k;
}

}  // namespace

CommunityResult detect_communities(const Affinity& W, const std::string& algorithm,
                                   double resolution, std::uint64_t seed) {
  const auto& known = community_algorithms();
  if (std::find(known.begin(), known.end(), algorithm) == known.end())
    throw ConfigError("cluster.community: unknown algorithm '" + algorithm + "' (known: " + joined(known) + ")");
  check_affinity(W);
  CP_ASSERT(std::isfinite(resolution) && resolution >= 0.0,
            "resolution = " + std::to_string(resolution));
  const Index n = W.rows();
  CommunityResult out;
  out.membership.resize(static_cast<std::size_t>(n));
  const std::vector<double> k = strengths(W);
  double two_m = 0.0;
  for (double ki : k) two_m += ki;
  if (two_m == 0.0) {
    // Nothing to optimise; igraph's Leiden would divide by 2m = 0.
    for (Index i = 0; i < n; ++i) out.membership[i] = static_cast<std::int32_t>(i);
    out.count = static_cast<int>(n);
    out.modularity = std::numeric_limits<double>::quiet_NaN();
    return out;
  }

  {
    const std::lock_guard<std::mutex> lock(igraph_mutex);
    const IgnoreIgraphErrors guard;
    check(igraph_rng_seed(igraph_rng_default(), static_cast<igraph_uint_t>(seed)),
          "igraph_rng_seed");
    Graph graph(W);
    IntVector membership(n);
    if (algorithm == "leiden") {
      RealVector node_weights(n);
      for (Index i = 0; i < n; ++i) node_weights[i] = k[i];
      igraph_integer_t clusters = 0;
      igraph_real_t quality = 0;
      check(igraph_community_leiden(graph.get(), graph.weights(), node_weights.get(),
                                    resolution / two_m, kLeidenBeta, /*start=*/false,
                                    kUntilStable, membership.get(), &clusters, &quality),
            "igraph_community_leiden");
    } else {
      check(igraph_community_multilevel(graph.get(), graph.weights(), resolution,
                                        membership.get(), nullptr, nullptr),
            "igraph_community_multilevel");
    }
    igraph_integer_t largest = -1;
    for (Index i = 0; i < n; ++i) {
      out.membership[i] = static_cast<std::int32_t>(membership[i]);
      largest = std::max(largest, membership[i]);
    }
    // Both algorithms number communities 0, 1, ... without gaps.
    out.count = static_cast<int>(largest + 1);
  }
  out.modularity = modularity(W, out.membership, resolution);
  return out;
}

double modularity(const Affinity& W, const std::vector<std::int32_t>& partition,
                  double resolution) {
  check_affinity(W);
  const Index n = W.rows();
  CP_ASSERT(static_cast<Index>(partition.size()) == n,
            std::to_string(partition.size()) + " labels for " + std::to_string(n) + " vertices");
  // Compact community ids so the per-community sums fit in a vector.
  std::unordered_map<std::int32_t, std::size_t> id;
  std::vector<std::size_t> community(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) community[i] = id.emplace(partition[i], id.size()).first->second;

  const std::vector<double> k = strengths(W);
  std::vector<double> volume(id.size(), 0.0);
  double two_m = 0.0;
  double inside = 0.0;  // sum_ij W_ij delta(c_i, c_j), both orders of every edge
  for (Index i = 0; i < n; ++i) {
    two_m += k[i];
    volume[community[i]] += k[i];
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() != i && community[it.col()] == community[i]) inside += it.value();
    }
  }
  if (two_m == 0.0) return std::numeric_limits<double>::quiet_NaN();
  // sum_ij k_i k_j delta(c_i, c_j) = sum_c K_c^2.
  double expected = 0.0;
  for (double v : volume) expected += v * v;
  return inside / two_m - resolution * expected / (two_m * two_m);
}

double class_affinity_ratio(const Affinity& W, const std::vector<std::int32_t>& labels) {
  check_affinity(W);
  const Index n = W.rows();
  CP_ASSERT(static_cast<Index>(labels.size()) == n,
            std::to_string(labels.size()) + " labels for " + std::to_string(n) + " vertices");
  double sum = 0.0;
  Index counted = 0;
  for (Index i = 0; i < n; ++i) {
    double total = 0.0, same = 0.0;
    for (Affinity::InnerIterator it(W, i); it; ++it) {
      if (it.col() == i) continue;
      total += it.value();
      if (labels[it.col()] == labels[i]) same += it.value();
    }
    if (total > 0.0) {
      sum += same / total;
      ++counted;
    }
  }
  return counted > 0 ? sum / static_cast<double>(counted)
                     : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace cp
