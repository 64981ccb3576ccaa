// NC1 and Carbonnelle's c1 (subclass_selectivity) and c2 (subclass_silhouette):
// against numpy/sklearn computations run at test time (Debian's
// /usr/bin/python3, formulas written out in kScript), and on constructed cases
// whose values are worked out by hand below.
#include <gtest/gtest.h>

#include "../support/reference_python.hpp"
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/metrics/collapse.hpp"

namespace {

namespace fs = std::filesystem;
using cp::RowMatrixXf;
using Labels = std::vector<std::int32_t>;

using cp::testing::kPython;

// nc1: Papyan et al.'s definition with mu_G the mean of the class means and a
// pseudo-inverse with numpy's relative cutoff 1e-10; c1 and c2 as the header
// of collapse.hpp states them (Carbonnelle's measures.py, per superclass).
const char* const kScript = R"PY(
import sys, warnings
warnings.simplefilter("ignore")
try:
    import numpy as np
    from sklearn.metrics import silhouette_samples
except Exception as exc:
    sys.stderr.write("cannot import numpy/sklearn: %r\n" % (exc,))
    sys.exit(3)

def nc1(H, y):
    classes = np.unique(y)
    C = len(classes)
    means = np.stack([H[y == c].mean(0) for c in classes])
    Z = H - means[np.searchsorted(classes, y)]
    Sw = Z.T @ Z / len(H)
    M = means - means.mean(0)
    Sb = M.T @ M / C
    return np.trace(Sw @ np.linalg.pinv(Sb, rcond=1e-10)) / C

def selectivity(H, fine, coarse, k):
    scores = []
    for s in np.unique(coarse):
        subs = np.unique(fine[coarse == s])
        if len(subs) < 2:
            continue
        for c in subs:
            a = H[(coarse == s) & (fine == c)]
            r = H[(coarse == s) & (fine != c)]
            den = a.std(0) + r.std(0)
            ok = den > 0
            sel = (a.mean(0) - r.mean(0))[ok] / den[ok]
            if len(sel):
                scores.append(np.sort(sel)[-min(k, len(sel)):].mean())
    return np.median(scores)

def subclass_silhouette(H, fine, coarse, metric):
    scores = []
    for s in np.unique(coarse):
        m = coarse == s
        subs = np.unique(fine[m])
        if len(subs) < 2 or len(subs) > m.sum() - 1:
            continue
        sv = silhouette_samples(H[m], fine[m], metric=metric)
        scores.extend(sv[fine[m] == c].mean() for c in subs)
    return np.median(scores)

d = sys.argv[1]
with open(d + "/out.txt", "w") as out:
    for line in open(d + "/manifest.txt"):
        name, n, dim = line.split()
        H = np.fromfile("%s/%s.h" % (d, name), dtype=np.float32).reshape(int(n), int(dim))
        H = H.astype(np.float64)
        fine = np.fromfile("%s/%s.fine" % (d, name), dtype=np.int32)
        coarse = np.fromfile("%s/%s.coarse" % (d, name), dtype=np.int32)
        out.write("%r %r %r %r %r %r\n" % (
            nc1(H, fine), nc1(H, coarse), selectivity(H, fine, coarse, 30),
            selectivity(H, fine, coarse, 3), subclass_silhouette(H, fine, coarse, "cosine"),
            subclass_silhouette(H, fine, coarse, "euclidean")))
)PY";

struct Case {
  std::string name;
  RowMatrixXf H;
  Labels fine, coarse;
};

/// Superclass s has subs[s] subclasses; fine labels are global (subclass j of
/// superclass s is 10 s + j). Rows: subclass centre + noise, unequal sizes,
/// then ReLU, with `dead` columns zero everywhere.
Case make_case(const std::string& name, const std::vector<int>& subs, int dim, int dead,
               float offset, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Case c{name, RowMatrixXf(0, dim), {}, {}};
  std::vector<std::vector<float>> rows;
  for (int s = 0; s < static_cast<int>(subs.size()); ++s) {
    std::vector<float> super_centre(dim);
    for (auto& v : super_centre) v = offset + 2.0f * normal(rng);
    for (int j = 0; j < subs[s]; ++j) {
      std::vector<float> centre(dim);
      for (int k = 0; k < dim; ++k) centre[k] = super_centre[k] + 1.0f * normal(rng);
      const int count = 15 + 7 * j + 3 * s;
      for (int r = 0; r < count; ++r) {
        std::vector<float> row(dim);
        for (int k = 0; k < dim; ++k) row[k] = k < dead ? 0.0f : std::max(0.0f, centre[k] + 0.7f * normal(rng));
        rows.push_back(row);
        c.fine.push_back(10 * s + j);
        c.coarse.push_back(s);
      }
    }
  }
  c.H.resize(static_cast<Eigen::Index>(rows.size()), dim);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int k = 0; k < dim; ++k) c.H(static_cast<Eigen::Index>(i), k) = rows[i][k];
  return c;
}

using cp::testing::TempDir;

template <class T>
void write_raw(const fs::path& p, const T* data, std::size_t count) {
  std::ofstream(p, std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(sizeof(T) * count));
}

TEST(Collapse, AgreesWithNumpyAndSklearn) {
  // D > C (the Gram route) and D < C (the direct route), a superclass with a
  // single subclass (skipped by c1 and c2), dead neurons, data off the origin.
  const std::vector<Case> cases{make_case("wide", {3, 2, 1}, 40, 3, 0.5f, 1),
                                make_case("narrow", {4, 3, 2}, 3, 0, 4.0f, 2),
                                make_case("square", {2, 2, 2, 2}, 8, 1, 0.0f, 3)};
  TempDir dir("cp_collapse");
  {
    std::ofstream(dir.path / "ref.py") << kScript;
    std::ofstream manifest(dir.path / "manifest.txt");
    for (const Case& c : cases) {
      manifest << c.name << ' ' << c.H.rows() << ' ' << c.H.cols() << '\n';
      write_raw(dir.path / (c.name + ".h"), c.H.data(), static_cast<std::size_t>(c.H.size()));
      write_raw(dir.path / (c.name + ".fine"), c.fine.data(), c.fine.size());
      write_raw(dir.path / (c.name + ".coarse"), c.coarse.data(), c.coarse.size());
    }
  }
  const std::string cmd =
      std::string(kPython) + " " + (dir.path / "ref.py").string() + " " + dir.path.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "'" << cmd << "' failed: " << kPython
                                         << " needs numpy and sklearn (apt python3-sklearn)";
  std::ifstream out(dir.path / "out.txt");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    double nc1_fine, nc1_coarse, sel30, sel3, sil_cos, sil_euc;
    ASSERT_TRUE(out >> nc1_fine >> nc1_coarse >> sel30 >> sel3 >> sil_cos >> sil_euc);
    EXPECT_NEAR(cp::nc1(c.H, c.fine), nc1_fine, 1e-6 * std::abs(nc1_fine));
    EXPECT_NEAR(cp::nc1(c.H, c.coarse), nc1_coarse, 1e-6 * std::abs(nc1_coarse));
    EXPECT_NEAR(cp::subclass_selectivity(c.H, c.fine, c.coarse), sel30, 1e-9);
    EXPECT_NEAR(cp::subclass_selectivity(c.H, c.fine, c.coarse, 3), sel3, 1e-9);
    EXPECT_NEAR(cp::subclass_silhouette(c.H, c.fine, c.coarse), sil_cos, 1e-9);
    EXPECT_NEAR(cp::subclass_silhouette(c.H, c.fine, c.coarse, "euclidean"), sil_euc, 1e-9);
  }
}

TEST(Nc1, CollapsedClassesScoreNearZero) {
  Case c = make_case("c", {3, 3}, 20, 0, 1.0f, 4);
  const double spread = cp::nc1(c.H, c.fine);
  EXPECT_GT(spread, 0.01);
  // Replace every row by its class mean plus noise 1e-4 of the class spread.
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0.0f, 1e-4f);
  RowMatrixXf collapsed = c.H;
  for (int cls : {0, 1, 2, 10, 11, 12}) {
    Eigen::RowVectorXf mean = Eigen::RowVectorXf::Zero(c.H.cols());
    int count = 0;
    for (Eigen::Index i = 0; i < c.H.rows(); ++i)
      if (c.fine[i] == cls) mean += c.H.row(i), ++count;
    mean /= static_cast<float>(count);
    for (Eigen::Index i = 0; i < c.H.rows(); ++i)
      if (c.fine[i] == cls)
        for (Eigen::Index k = 0; k < c.H.cols(); ++k) collapsed(i, k) = mean[k] + normal(rng);
  }
  EXPECT_LT(cp::nc1(collapsed, c.fine), 1e-6);
  EXPECT_LT(cp::nc1(collapsed, c.fine), 1e-5 * spread);
}

TEST(Nc1, DegenerateAndInvalidInputs) {
  const Case c = make_case("d", {2, 2}, 5, 0, 0.0f, 6);
  EXPECT_THROW(cp::nc1(c.H, Labels(c.H.rows(), 3)), cp::InternalError);  // one class
  EXPECT_THROW(cp::nc1(c.H, Labels(c.H.rows() - 1, 0)), cp::InternalError);
  // Two classes with the same rows: equal means, Sigma_B = 0.
  RowMatrixXf twice(4, 2);
  twice << 1, 2, 3, 4, 1, 2, 3, 4;
  EXPECT_TRUE(std::isnan(cp::nc1(twice, {0, 0, 1, 1})));
}

/// Hand-built layer: superclass 0 = subclasses 0, 1; superclass 1 =
/// subclasses 2, 3; superclass 2 = subclass 4 alone (skipped). Four samples
/// each. Neuron 0 fires for subclass 0, neuron 3 for subclass 1, neuron 2 for
/// subclass 2; neuron 1 is dead. Within a superclass, a neuron that is zero on
/// all of it has denominator 0 and is skipped.
TEST(SubclassSelectivity, ConstructedLayer) {
  RowMatrixXf H = RowMatrixXf::Zero(20, 4);
  Labels fine, coarse;
  const float n0[4] = {2, 4, 2, 4};  // subclass 0: mean 3, std 1
  const float n0_1[4] = {0, 0, 1, 1};  // subclass 1 on neuron 0: mean 0.5, std 0.5
  const float n3[4] = {1, 2, 1, 2};  // subclass 1: mean 1.5, std 0.5
  const float n2[4] = {1, 3, 1, 3};  // subclass 2: mean 2, std 1
  for (int r = 0; r < 4; ++r) {
    H(r, 0) = n0[r];
    H(4 + r, 0) = n0_1[r];
    H(4 + r, 3) = n3[r];
    H(8 + r, 2) = n2[r];
    H(16 + r, 1) = 5.0f + r;  // superclass 2 only
  }
  for (int sub = 0; sub < 5; ++sub)
    for (int r = 0; r < 4; ++r) fine.push_back(sub), coarse.push_back(sub / 2);
  // Per subclass, neuron scores (mu_c - mu_rest) / (sigma_c + sigma_rest):
  //   subclass 0: n0 (3 - 0.5) / (1 + 0.5) = 5/3,    n3 (0 - 1.5) / (0 + 0.5) = -3
  //   subclass 1: n0 (0.5 - 3) / (0.5 + 1) = -5/3,   n3 (1.5 - 0) / (0.5 + 0) = 3
  //   subclass 2: n2 (2 - 0) / (1 + 0) = 2;          subclass 3: n2 -2
  // top 1: [5/3, 3, 2, -2] -> median (5/3 + 2) / 2 = 11/6.
  EXPECT_NEAR(cp::subclass_selectivity(H, fine, coarse, 1), 11.0 / 6.0, 1e-12);
  // top 30 (all valid neurons): [-2/3, 2/3, 2, -2] -> median 0.
  EXPECT_NEAR(cp::subclass_selectivity(H, fine, coarse), 0.0, 1e-12);
  EXPECT_THROW(cp::subclass_selectivity(H, fine, coarse, 0), cp::InternalError);
  // Only single-subclass superclasses: nothing to score.
  EXPECT_TRUE(std::isnan(cp::subclass_selectivity(H, fine, fine)));
}

TEST(SubclassSilhouette, SeparatedVersusMixedSubclasses) {
  // Superclass 0: subclasses along two orthogonal directions (cosine
  // silhouette ~1). Superclass 1: both subclasses drawn from one direction
  // (no structure, silhouette ~0).
  std::mt19937_64 rng(7);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  RowMatrixXf H(80, 3);
  Labels fine, coarse;
  for (int i = 0; i < 80; ++i) {
    const int sub = i / 20;
    const int dir = sub == 0 ? 0 : sub == 1 ? 1 : 2;
    for (int k = 0; k < 3; ++k) H(i, k) = (k == dir ? 1.0f : 0.0f) + noise(rng);
    fine.push_back(sub);
    coarse.push_back(sub / 2);
  }
  const Labels only_first(coarse.begin(), coarse.begin() + 40);
  EXPECT_GT(cp::subclass_silhouette(H.topRows(40), Labels(fine.begin(), fine.begin() + 40), only_first), 0.95);
  const double mixed = cp::subclass_silhouette(H.bottomRows(40), Labels(fine.begin() + 40, fine.end()),
                                               Labels(coarse.begin() + 40, coarse.end()));
  EXPECT_LT(std::abs(mixed), 0.1);
  // Median over the four subclasses: two near 1, two near 0.
  const double both = cp::subclass_silhouette(H, fine, coarse);
  EXPECT_GT(both, 0.3);
  EXPECT_LT(both, 0.7);
  EXPECT_TRUE(std::isnan(cp::subclass_silhouette(H, fine, fine)));  // one subclass per superclass
  EXPECT_THROW(cp::subclass_silhouette(H, fine, coarse, "l1"), cp::InternalError);
}

}  // namespace
