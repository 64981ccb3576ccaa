// Rectangular linear sum assignment: the shortest-augmenting-path method of
// Crouse (2016), the one scipy.optimize.linear_sum_assignment uses, with the
// same tie-breaking, so matched clusters agree with scipy's.
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace cp {
namespace {

/// Shortest augmenting path from free row `row`; returns the sink column, or
/// -1 if no finite path exists. Duals u, v keep reduced costs non-negative.
int augment(int nc, const std::vector<double>& cost, std::vector<double>& u,
            std::vector<double>& v, std::vector<int>& path, const std::vector<int>& row4col,
            std::vector<double>& dist, std::vector<char>& in_sr, std::vector<char>& in_sc,
            std::vector<int>& remaining, int row, double& min_val) {
  min_val = 0.0;
  int num_remaining = nc;
  // Reverse order makes a constant matrix solve to the identity, as scipy does.
  for (int it = 0; it < nc; ++it) remaining[it] = nc - it - 1;
  std::fill(in_sr.begin(), in_sr.end(), 0);
  std::fill(in_sc.begin(), in_sc.end(), 0);
  std::fill(dist.begin(), dist.end(), std::numeric_limits<double>::infinity());
  int sink = -1;
  int i = row;
  while (sink == -1) {
    int index = -1;
    double lowest = std::numeric_limits<double>::infinity();
    in_sr[i] = 1;
    for (int it = 0; it < num_remaining; ++it) {
      const int j = remaining[it];
      const double r = min_val + cost[static_cast<std::size_t>(i) * nc + j] - u[i] - v[j];
      if (r < dist[j]) {
        path[j] = i;
        dist[j] = r;
      }
      // Among equal costs prefer a free column: it ends the search sooner.
      if (dist[j] < lowest || (dist[j] == lowest && row4col[j] == -1)) {
        lowest = dist[j];
        index = it;
      }
    }
    min_val = lowest;
    if (std::isinf(min_val)) return -1;
    const int j = remaining[index];
    if (row4col[j] == -1) {
      sink = j;
    } else {
      i = row4col[j];
    }
    in_sc[j] = 1;
    remaining[index] = remaining[--num_remaining];
  }
  return sink;
}

/// Wide case (nr <= nc): every row gets a distinct column.
std::vector<int> solve_wide(int nr, int nc, const std::vector<double>& cost) {
  std::vector<double> u(nr, 0.0), v(nc, 0.0), dist(nc);
  std::vector<int> path(nc, -1), col4row(nr, -1), row4col(nc, -1), remaining(nc);
  std::vector<char> in_sr(nr), in_sc(nc);
  for (int cur = 0; cur < nr; ++cur) {
    double min_val = 0.0;
    const int sink = augment(nc, cost, u, v, path, row4col, dist, in_sr, in_sc, remaining,
                             cur, min_val);
    if (sink < 0) CP_THROW_INTERNAL("linear_sum_assignment: cost matrix is infeasible");
    u[cur] += min_val;
    for (int i = 0; i < nr; ++i) {
      if (in_sr[i] && i != cur) u[i] += min_val - dist[col4row[i]];
    }
    for (int j = 0; j < nc; ++j) {
      if (in_sc[j]) v[j] -= min_val - dist[j];
    }
    for (int j = sink;;) {
      const int i = path[j];
      row4col[j] = i;
      std::swap(col4row[i], j);
      if (i == cur) break;
    }
  }
  return col4row;
}

}  // namespace

std::vector<int> linear_sum_assignment(const std::vector<double>& cost, int rows, int cols) {
  CP_ASSERT(rows >= 0 && cols >= 0, "negative matrix shape");
  CP_ASSERT(cost.size() == static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols),
            "cost has " + std::to_string(cost.size()) + " entries for a " +
                std::to_string(rows) + "x" + std::to_string(cols) + " matrix");
  for (double x : cost) {
    CP_ASSERT(!std::isnan(x) && x != -std::numeric_limits<double>::infinity(),
              "cost matrix contains NaN or -inf");
  }
  if (rows == 0 || cols == 0) return std::vector<int>(rows, -1);
  if (rows <= cols) return solve_wide(rows, cols, cost);
  // Tall: assign every column to a row on the transpose, then invert.
  std::vector<double> t(cost.size());
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) {
      t[static_cast<std::size_t>(j) * rows + i] = cost[static_cast<std::size_t>(i) * cols + j];
    }
  }
  const std::vector<int> row4col = solve_wide(cols, rows, t);
  std::vector<int> out(rows, -1);
  for (int j = 0; j < cols; ++j) out[row4col[j]] = j;
  return out;
}

}  // namespace cp
