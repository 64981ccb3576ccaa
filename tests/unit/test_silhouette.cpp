// Silhouette against scikit-learn on data generated at test time: the cases
// go to a temporary directory (float32 rows, int32 labels), Debian's
// /usr/bin/python3 scores them with sklearn.metrics.silhouette_samples and
// silhouette_score on the same values in float64, and every value must agree
// to 1e-6. Cases cover both metrics, singleton clusters, non-contiguous
// labels, data far from the origin, a zero row (cosine) and the 0/0 case.
#include <gtest/gtest.h>

#include "../support/reference_python.hpp"
#include <omp.h>
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
#include "clusterprobe/metrics/silhouette.hpp"

namespace {

namespace fs = std::filesystem;
using cp::RowMatrixXf;
using Labels = std::vector<std::int32_t>;

using cp::testing::kPython;

const char* const kScript = R"PY(
import sys, warnings
warnings.simplefilter("ignore")
try:
    import numpy as np
    import sklearn
    from sklearn.metrics import silhouette_samples, silhouette_score
except Exception as exc:
    sys.stderr.write("cannot import sklearn: %r\n" % (exc,))
    sys.exit(3)
d = sys.argv[1]
with open(d + "/out.txt", "w") as out:
    out.write("sklearn %s\n" % sklearn.__version__)
    for line in open(d + "/manifest.txt"):
        name, n, dim, metric = line.split()
        X = np.fromfile("%s/%s.x" % (d, name), dtype=np.float32).reshape(int(n), int(dim))
        X = X.astype(np.float64)  # the exact float32 values, scored in double
        y = np.fromfile("%s/%s.y" % (d, name), dtype=np.int32)
        s = silhouette_samples(X, y, metric=metric)
        out.write("%r %s\n" % (silhouette_score(X, y, metric=metric),
                               " ".join(repr(v) for v in s)))
)PY";

struct Case {
  std::string name, metric;
  RowMatrixXf X;
  Labels labels;
};

/// Gaussian blobs: `k` centres `spread` apart, unit noise, shifted by offset;
/// cluster of row i is i % k, relabelled to value * mult - 7.
Case blobs(const std::string& name, const std::string& metric, int n, int dim, int k,
           float spread, float offset, int mult, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf centres(k, dim);
  for (int c = 0; c < k; ++c)
    for (int j = 0; j < dim; ++j) centres(c, j) = offset + spread * normal(rng);
  Case cs{name, metric, RowMatrixXf(n, dim), Labels(n)};
  for (int i = 0; i < n; ++i) {
    cs.labels[i] = (i % k) * mult - 7;
    for (int j = 0; j < dim; ++j) cs.X(i, j) = centres(i % k, j) + normal(rng);
  }
  return cs;
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  for (const std::string metric : {"euclidean", "cosine"}) {
    cases.push_back(blobs("small_" + metric, metric, 20, 2, 3, 3.0f, 0.0f, 1, 1));
    cases.push_back(blobs("mid_" + metric, metric, 150, 9, 5, 1.0f, 0.5f, 13, 2));
    cases.push_back(blobs("wide_" + metric, metric, 700, 64, 17, 0.8f, 0.0f, 1, 3));
    cases.push_back(blobs("far_" + metric, metric, 300, 5, 4, 2.0f, 50.0f, -3, 4));
    // Singleton clusters (score 0), among rows 0..5, with their own labels.
    Case single = blobs("singletons_" + metric, metric, 90, 6, 3, 2.0f, 1.0f, 1, 5);
    single.labels[0] = 1000;
    single.labels[3] = -1000;
    single.labels[5] = 77;
    cases.push_back(single);
  }
  // A zero row: at cosine distance 1 from every other row, 0 from itself.
  Case zero = blobs("zero_row_cosine", "cosine", 60, 4, 3, 2.0f, 0.0f, 1, 6);
  zero.X.row(7).setZero();
  cases.push_back(zero);
  // a = b = 0 (0/0 in sklearn, then 0): clusters 0 and 1 hold copies of one point.
  for (const std::string metric : {"euclidean", "cosine"}) {
    Case dup{"duplicates_" + metric, metric, RowMatrixXf(7, 3), {0, 0, 1, 1, 2, 2, 2}};
    dup.X << 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, -1, 0.5, 2, -2, 1, 0, 0, -1, 1;
    cases.push_back(dup);
  }
  return cases;
}

using cp::testing::TempDir;

TEST(Silhouette, AgreesWithSklearn) {
  const std::vector<Case> cases = make_cases();
  TempDir dir("cp_silhouette");
  {
    std::ofstream(dir.path / "score.py") << kScript;
    std::ofstream manifest(dir.path / "manifest.txt");
    for (const Case& c : cases) {
      manifest << c.name << ' ' << c.X.rows() << ' ' << c.X.cols() << ' ' << c.metric << '\n';
      std::ofstream(dir.path / (c.name + ".x"), std::ios::binary)
          .write(reinterpret_cast<const char*>(c.X.data()),
                 static_cast<std::streamsize>(sizeof(float) * c.X.size()));
      std::ofstream(dir.path / (c.name + ".y"), std::ios::binary)
          .write(reinterpret_cast<const char*>(c.labels.data()),
                 static_cast<std::streamsize>(sizeof(std::int32_t) * c.labels.size()));
    }
  }
  const std::string cmd =
      std::string(kPython) + " " + (dir.path / "score.py").string() + " " + dir.path.string();
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "'" << cmd << "' failed (status " << rc << "): " << kPython
                   << " must be able to import sklearn (apt python3-sklearn)";
  std::ifstream out(dir.path / "out.txt");
  std::string tag, version;
  out >> tag >> version;
  ASSERT_EQ(tag, "sklearn");
  RecordProperty("sklearn_version", version);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    double score = 0;
    ASSERT_TRUE(out >> score);
    std::vector<double> expected(c.labels.size());
    for (double& v : expected) ASSERT_TRUE(out >> v);
    std::int64_t used = -1;
    EXPECT_NEAR(cp::silhouette(c.X, c.labels, c.metric, 20000, 0, &used), score, 1e-6);
    EXPECT_EQ(used, c.X.rows());
    const std::vector<double> got = cp::silhouette_samples(c.X, c.labels, c.metric);
    ASSERT_EQ(got.size(), expected.size());
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-6) << "row " << i;
  }
}

TEST(Silhouette, SingletonsScoreZero) {
  Case c = blobs("s", "euclidean", 30, 3, 2, 5.0f, 0.0f, 1, 9);
  c.labels[4] = 50;
  const std::vector<double> s = cp::silhouette_samples(c.X, c.labels, "euclidean");
  EXPECT_EQ(s[4], 0.0);
  EXPECT_GT(s[5], 0.5);  // the separated blobs score high
}

TEST(Silhouette, SampledPathReportsPointsAndStaysCloseToExact) {
  const Case c = blobs("big", "euclidean", 3000, 8, 6, 1.2f, 0.0f, 1, 10);
  for (const std::string metric : {"euclidean", "cosine"}) {
    SCOPED_TRACE(metric);
    std::int64_t used = 0;
    const double exact = cp::silhouette(c.X, c.labels, metric, 0, 0, &used);
    EXPECT_EQ(used, 3000);
    const double sampled = cp::silhouette(c.X, c.labels, metric, 1000, 42, &used);
    EXPECT_EQ(used, 1000);
    // Standard error of a 1000-row mean of values spread ~0.2: ~0.006.
    EXPECT_NEAR(sampled, exact, 0.03);
    EXPECT_NE(sampled, exact);
    // Deterministic for a seed, and another seed draws other rows.
    EXPECT_EQ(cp::silhouette(c.X, c.labels, metric, 1000, 42), sampled);
    EXPECT_NE(cp::silhouette(c.X, c.labels, metric, 1000, 43), sampled);
    // At or above the row count the sample is the whole data: exact.
    EXPECT_EQ(cp::silhouette(c.X, c.labels, metric, 3000, 42, &used), exact);
    EXPECT_EQ(used, 3000);
  }
}

TEST(Silhouette, ResultDoesNotDependOnTheThreadCount) {
  const Case c = blobs("threads", "euclidean", 1500, 40, 7, 1.0f, 2.0f, 1, 12);
  const int before = omp_get_max_threads();
  for (const std::string metric : {"euclidean", "cosine"}) {
    omp_set_num_threads(1);
    const std::vector<double> one = cp::silhouette_samples(c.X, c.labels, metric);
    omp_set_num_threads(2);
    const std::vector<double> two = cp::silhouette_samples(c.X, c.labels, metric);
    EXPECT_EQ(one, two) << metric;
  }
  omp_set_num_threads(before);
}

TEST(Silhouette, InvalidInputsThrowLikeSklearn) {
  const Case c = blobs("e", "euclidean", 10, 2, 2, 3.0f, 0.0f, 1, 11);
  const Labels one(10, 4);
  Labels all_distinct(10);
  for (int i = 0; i < 10; ++i) all_distinct[i] = i;
  EXPECT_THROW(cp::silhouette(c.X, one, "euclidean"), cp::InternalError);
  EXPECT_THROW(cp::silhouette(c.X, all_distinct, "euclidean"), cp::InternalError);
  EXPECT_THROW(cp::silhouette(c.X, c.labels, "manhattan"), cp::InternalError);
  EXPECT_THROW(cp::silhouette(c.X, Labels(9, 0), "euclidean"), cp::InternalError);
  RowMatrixXf nan = c.X;
  nan(2, 1) = std::nanf("");
  EXPECT_THROW(cp::silhouette_samples(nan, c.labels, "cosine"), cp::InternalError);
  // n - 1 labels is still valid (one cluster of two, the rest singletons).
  Labels pairs = all_distinct;
  pairs[9] = 0;
  EXPECT_NO_THROW(cp::silhouette(c.X, pairs, "euclidean"));
}

}  // namespace
