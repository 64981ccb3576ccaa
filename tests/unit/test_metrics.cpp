// Clustering metrics on fixed cases. Expected values were computed once with
// Debian's scikit-learn 1.2.1 / scipy 1.10.1 (/usr/bin/python3); each one
// quotes the call that produced it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/clustering.hpp"

namespace {

using Labels = std::vector<std::int32_t>;
constexpr double kTol = 1e-9;

struct Expected {
  Labels truth, pred;
  double ami, nmi, ari;
};

void expect_scores(const Expected& e) {
  EXPECT_NEAR(cp::adjusted_mutual_info(e.truth, e.pred), e.ami, kTol);
  EXPECT_NEAR(cp::normalized_mutual_info(e.truth, e.pred), e.nmi, kTol);
  EXPECT_NEAR(cp::adjusted_rand(e.truth, e.pred), e.ari, kTol);
}

TEST(Metrics, SklearnHandCases) {
  // sklearn 1.2.1: adjusted_mutual_info_score / normalized_mutual_info_score /
  // adjusted_rand_score of (truth, pred), in that order, for each case.
  // ([0,0,1,1], [0,0,1,2])
  expect_scores({{0, 0, 1, 1}, {0, 0, 1, 2}, 0.5714285714285715, 0.7999999999999999,
                 0.5714285714285714});
  // ([0,0,0,1,1,1], [0,0,1,1,2,2])
  expect_scores({{0, 0, 0, 1, 1, 1}, {0, 0, 1, 1, 2, 2}, 0.2987924581708901,
                 0.5158037429793889, 0.24242424242424243});
  // ([-5,7,7,100,-5,3], [2,2,9,9,40,40]): arbitrary, negative, non-contiguous labels
  expect_scores({{-5, 7, 7, 100, -5, 3}, {2, 2, 9, 9, 40, 40}, -0.1904761904761901,
                 0.5242524223457239, -0.19047619047619047});
  // ([0,0,1,1], [0,1,0,1])
  expect_scores({{0, 0, 1, 1}, {0, 1, 0, 1}, -0.49999999999999944, 0.0, -0.5});
  // ([0,1,2,0,1,2,0,1,2,0], [0,0,0,1,1,1,2,2,2,3])
  expect_scores({{0, 1, 2, 0, 1, 2, 0, 1, 2, 0}, {0, 0, 0, 1, 1, 1, 2, 2, 2, 3},
                 -0.4091927448456476, 0.0833624655813351, -0.2962962962962963});
}

TEST(Metrics, SklearnGeneratedCases) {
  Labels t, p;
  for (int i = 0; i < 50; ++i) {
    t.push_back(i % 7);
    p.push_back((i * i) % 5);
  }
  // sklearn 1.2.1: t=[i%7 for i in range(50)]; p=[(i*i)%5 for i in range(50)]
  expect_scores({t, p, -0.0871999765340813, 0.016049270468199008, -0.048411497730711045});

  Labels ut(1000, 0), up(1000, 0);
  std::fill(ut.begin() + 990, ut.end(), 1);
  std::fill(up.begin() + 985, up.end(), 1);
  // sklearn 1.2.1: t=[0]*990+[1]*10; p=[0]*985+[1]*15
  expect_scores({ut, up, 0.6925162459186835, 0.69394112283665, 0.7934769803826973});
}

TEST(Metrics, LargeNPairCountsDoNotOverflow) {
  // n^2 pair products exceed int64 at this size.
  const int n = 200000;
  Labels t(n), p(n);
  for (int i = 0; i < n; ++i) {
    t[i] = i % 2;
    p[i] = i < n / 2 + 7 ? 0 : 1;
  }
  // sklearn 1.2.1: n=200000; t=[i%2 for i in range(n)]; p=[0 if i<n//2+7 else 1 for i in range(n)]
  expect_scores({t, p, -3.606705530464144e-06, 7.213603951099195e-11, -4.9999499754996324e-06});
}

TEST(Metrics, SklearnEdgeCases) {
  // sklearn 1.2.1: ([], []) -> ami 1.0, nmi 1.0, ari 1.0
  expect_scores({{}, {}, 1.0, 1.0, 1.0});
  // sklearn 1.2.1: ([0], [1]) -> 1.0, 1.0, 1.0
  expect_scores({{0}, {1}, 1.0, 1.0, 1.0});
  // sklearn 1.2.1: ([0,0,0], [5,5,5]) -> 1.0, 1.0, 1.0 (both a single cluster)
  expect_scores({{0, 0, 0}, {5, 5, 5}, 1.0, 1.0, 1.0});
  // sklearn 1.2.1: ([0,0,1,1], [0,0,0,0]) and the reverse -> 0.0, 0.0, 0.0
  expect_scores({{0, 0, 1, 1}, {0, 0, 0, 0}, 0.0, 0.0, 0.0});
  expect_scores({{0, 0, 0, 0}, {0, 0, 1, 1}, 0.0, 0.0, 0.0});
  // sklearn 1.2.1: ([0,0,0,0], [0,1,2,3]) -> 0.0, 0.0, 0.0
  expect_scores({{0, 0, 0, 0}, {0, 1, 2, 3}, 0.0, 0.0, 0.0});
  // Both labelings all singletons: AMI is 0/0 (mi = emi = normaliser = log n).
  // sklearn 1.2.1 returns rounding noise, 0.0 for n = 2 and 4 and 1.0 for other n
  // ([adjusted_mutual_info_score(range(n), range(n)) for n in range(2, 40)]);
  // we return the limit 1.0 for every n. nmi and ari are 1.0 in sklearn too.
  expect_scores({{0, 1, 2, 3}, {0, 1, 2, 3}, 1.0, 1.0, 1.0});
  expect_scores({{0, 1}, {1, 0}, 1.0, 1.0, 1.0});
  expect_scores({{0, 1, 2}, {2, 0, 1}, 1.0, 1.0, 1.0});  // sklearn 1.2.1: 1.0, 1.0, 1.0
  // sklearn 1.2.1: ([0,1,2], [0,0,1]) -> 0.0, 0.7336804366512112, 0.0
  expect_scores({{0, 1, 2}, {0, 0, 1}, 0.0, 0.7336804366512112, 0.0});
  // sklearn 1.2.1: ([0,0,1,1], [1,1,0,0]) -> 1.0, 1.0, 1.0
  expect_scores({{0, 0, 1, 1}, {1, 1, 0, 0}, 1.0, 1.0, 1.0});
}

TEST(Metrics, IdenticalLabelingsScoreOne) {
  std::mt19937_64 rng(7);
  Labels t(500);
  for (auto& x : t) x = static_cast<std::int32_t>(rng() % 9);
  EXPECT_NEAR(cp::adjusted_mutual_info(t, t), 1.0, kTol);
  EXPECT_NEAR(cp::normalized_mutual_info(t, t), 1.0, kTol);
  EXPECT_NEAR(cp::adjusted_rand(t, t), 1.0, kTol);
  EXPECT_NEAR(cp::matched_accuracy(t, t), 1.0, kTol);
}

TEST(Metrics, LabelPermutationInvariance) {
  std::mt19937_64 rng(11);
  Labels t(300), p(300);
  for (auto& x : t) x = static_cast<std::int32_t>(rng() % 6);
  for (auto& x : p) x = static_cast<std::int32_t>(rng() % 4);
  // Rename the clusters: a permutation plus an offset to sparse, negative values.
  const std::int32_t rename[] = {-40, 1000, 3, -1};
  Labels q(p.size());
  for (std::size_t i = 0; i < p.size(); ++i) q[i] = rename[p[i]];
  EXPECT_NEAR(cp::adjusted_mutual_info(t, p), cp::adjusted_mutual_info(t, q), 1e-12);
  EXPECT_NEAR(cp::normalized_mutual_info(t, p), cp::normalized_mutual_info(t, q), 1e-12);
  EXPECT_NEAR(cp::adjusted_rand(t, p), cp::adjusted_rand(t, q), 1e-12);
  EXPECT_NEAR(cp::matched_accuracy(t, p), cp::matched_accuracy(t, q), 1e-12);
  // Symmetric in (truth, pred) for the arithmetic normalisation.
  EXPECT_NEAR(cp::adjusted_mutual_info(t, p), cp::adjusted_mutual_info(p, t), 1e-12);
  EXPECT_NEAR(cp::adjusted_rand(t, p), cp::adjusted_rand(p, t), 1e-12);
}

TEST(Metrics, MismatchedLengthsThrow) {
  EXPECT_THROW(cp::adjusted_mutual_info({0, 1}, {0}), cp::InternalError);
  EXPECT_THROW(cp::adjusted_rand({0, 1}, {0}), cp::InternalError);
  EXPECT_THROW(cp::matched_accuracy({0, 1}, {0}), cp::InternalError);
}

/// Best matched count over every injective map from the smaller side.
double brute_force_accuracy(const Labels& t, const Labels& p, int nt, int np) {
  std::vector<std::vector<int>> count(np, std::vector<int>(nt, 0));
  for (std::size_t i = 0; i < t.size(); ++i) ++count[p[i]][t[i]];
  const int m = std::max(nt, np);
  std::vector<int> perm(m);
  std::iota(perm.begin(), perm.end(), 0);
  int best = 0;
  do {
    int s = 0;
    for (int c = 0; c < np; ++c) {
      if (perm[c] < nt) s += count[c][perm[c]];
    }
    best = std::max(best, s);
  } while (std::next_permutation(perm.begin(), perm.end()));
  return static_cast<double>(best) / static_cast<double>(t.size());
}

TEST(Metrics, MatchedAccuracyEqualsBruteForce) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const int nt = 1 + static_cast<int>(rng() % 6);
    const int np = 1 + static_cast<int>(rng() % 6);
    const int n = 5 + static_cast<int>(rng() % 80);
    Labels t(n), p(n);
    for (int i = 0; i < n; ++i) {
      t[i] = static_cast<std::int32_t>(rng() % nt);
      // Bias the clusters towards the classes so the optimum is not trivial.
      p[i] = rng() % 3 == 0 ? static_cast<std::int32_t>(rng() % np) : t[i] % np;
    }
    // Ids must be dense for the brute force: relabel both by first appearance.
    Labels tc(n), pc(n);
    std::vector<int> mt(nt, -1), mp(np, -1);
    int kt = 0, kp = 0;
    for (int i = 0; i < n; ++i) {
      if (mt[t[i]] < 0) mt[t[i]] = kt++;
      if (mp[p[i]] < 0) mp[p[i]] = kp++;
      tc[i] = mt[t[i]];
      pc[i] = mp[p[i]];
    }
    EXPECT_NEAR(cp::matched_accuracy(t, p), brute_force_accuracy(tc, pc, kt, kp), 1e-12)
        << "trial " << trial;
  }
}

TEST(Metrics, MatchClusters) {
  // Cluster 7 holds class 2, cluster 3 class 0, cluster 5 class 1; cluster 9 is surplus.
  const Labels truth = {0, 0, 0, 1, 1, 1, 2, 2, 2, 2};
  const Labels pred = {3, 3, 9, 5, 5, 5, 7, 7, 7, 3};
  const Labels match = cp::match_clusters(truth, pred);
  ASSERT_EQ(match.size(), 10u);
  EXPECT_EQ(match[3], 0);
  EXPECT_EQ(match[5], 1);
  EXPECT_EQ(match[7], 2);
  EXPECT_EQ(match[9], -1);
  EXPECT_EQ(match[0], -1);  // not a cluster label at all
  EXPECT_NEAR(cp::matched_accuracy(truth, pred), 0.8, 1e-12);
  // Fewer clusters than classes: the unmatched class's rows count as wrong.
  EXPECT_NEAR(cp::matched_accuracy({0, 0, 1, 1, 2, 2}, {4, 4, 4, 4, 8, 8}), 4.0 / 6.0, 1e-12);
  EXPECT_NEAR(cp::matched_accuracy({}, {}), 1.0, 1e-12);
  EXPECT_THROW(cp::match_clusters({0, -1}, {0, 1}), cp::InternalError);
}

double total_cost(const std::vector<double>& c, int cols, const std::vector<int>& a) {
  double s = 0;
  for (std::size_t r = 0; r < a.size(); ++r) {
    if (a[r] >= 0) s += c[r * cols + a[r]];
  }
  return s;
}

TEST(LinearSumAssignment, RectangularMatchesScipy) {
  const std::vector<double> wide = {4, 1, 3, 2, 7,  //
                                    2, 0, 5, 3, 1,  //
                                    3, 2, 2, 9, 4};
  // scipy 1.10.1: linear_sum_assignment(C) -> rows [0 1 2], cols [3 1 2], cost 4.0
  EXPECT_EQ(cp::linear_sum_assignment(wide, 3, 5), (std::vector<int>{3, 1, 2}));
  std::vector<double> tall(15);
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 5; ++j) tall[j * 3 + i] = wide[i * 5 + j];
  }
  // scipy 1.10.1: linear_sum_assignment(C.T) -> rows [1 2 3], cols [1 2 0], cost 4.0
  const std::vector<int> at = cp::linear_sum_assignment(tall, 5, 3);
  EXPECT_EQ(at, (std::vector<int>{-1, 1, 2, 0, -1}));
  EXPECT_DOUBLE_EQ(total_cost(tall, 3, at), 4.0);

  const std::vector<double> d = {1.5,  -2.0, 3.25, 0.0,  7.0, 1.0, -4.5, 2.0,
                                 0.5,  0.5,  0.5,  0.5,  -1.0, 6.0, 2.0, 3.0,
                                 2.0,  2.0,  -3.0, 1.0,  0.0,  9.0, 1.0, -2.5};
  // scipy 1.10.1: linear_sum_assignment(D) (6x4) -> rows [0 1 3 5], cols [1 2 0 3], cost -10.0
  const std::vector<int> ad = cp::linear_sum_assignment(d, 6, 4);
  EXPECT_EQ(ad, (std::vector<int>{1, 2, -1, 0, -1, 3}));
  EXPECT_DOUBLE_EQ(total_cost(d, 4, ad), -10.0);
}

TEST(LinearSumAssignment, OptimalAgainstBruteForce) {
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const int r = 1 + static_cast<int>(rng() % 6);
    const int c = 1 + static_cast<int>(rng() % 6);
    std::vector<double> cost(r * c);
    for (auto& x : cost) x = static_cast<double>(rng() % 21) - 5.0;  // ties on purpose
    const std::vector<int> a = cp::linear_sum_assignment(cost, r, c);
    ASSERT_EQ(a.size(), static_cast<std::size_t>(r));
    std::vector<int> used(c, 0);
    int assigned = 0;
    for (int x : a) {
      if (x < 0) continue;
      ASSERT_LT(x, c);
      EXPECT_EQ(used[x]++, 0) << "column used twice";
      ++assigned;
    }
    EXPECT_EQ(assigned, std::min(r, c));
    const int m = std::max(r, c);
    std::vector<int> perm(m);
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
      double s = 0;
      int k = 0;
      for (int i = 0; i < r; ++i) {
        if (perm[i] < c) {
          s += cost[i * c + perm[i]];
          ++k;
        }
      }
      if (k == std::min(r, c)) best = std::min(best, s);
    } while (std::next_permutation(perm.begin(), perm.end()));
    EXPECT_DOUBLE_EQ(total_cost(cost, c, a), best) << "trial " << trial;
  }
}

TEST(LinearSumAssignment, InvalidInputThrows) {
  EXPECT_THROW(cp::linear_sum_assignment({1, 2, 3}, 2, 2), cp::InternalError);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(cp::linear_sum_assignment({1, nan, 3, 4}, 2, 2), cp::InternalError);
  const double inf = std::numeric_limits<double>::infinity();
  // +inf forbids a cell; here every full assignment needs one.
  EXPECT_THROW(cp::linear_sum_assignment({inf, inf, 1, 2}, 2, 2), cp::InternalError);
  EXPECT_EQ(cp::linear_sum_assignment({inf, 1, 2, inf}, 2, 2), (std::vector<int>{1, 0}));
  EXPECT_TRUE(cp::linear_sum_assignment({}, 0, 3).empty());
  EXPECT_EQ(cp::linear_sum_assignment({}, 2, 0), (std::vector<int>{-1, -1}));
}

}  // namespace
