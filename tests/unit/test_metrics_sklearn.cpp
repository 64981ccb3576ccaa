// AMI, NMI and ARI against scikit-learn on labelings generated at test time:
// the labelings go to a temporary file, Debian's /usr/bin/python3 scores them
// with sklearn, and every value must agree to 1e-9.
#include <gtest/gtest.h>

#include "../support/reference_python.hpp"
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "clusterprobe/metrics/clustering.hpp"

namespace {

namespace fs = std::filesystem;
using Labels = std::vector<std::int32_t>;

using cp::testing::kPython;

const char* const kScript = R"PY(
import sys, warnings
warnings.simplefilter("ignore")
try:
    import sklearn
    from sklearn.metrics import (adjusted_mutual_info_score, adjusted_rand_score,
                                 normalized_mutual_info_score)
except Exception as exc:
    sys.stderr.write("cannot import sklearn: %r\n" % (exc,))
    sys.exit(3)
lines = open(sys.argv[1]).read().splitlines()
with open(sys.argv[2], "w") as out:
    out.write("sklearn %s\n" % sklearn.__version__)
    for i in range(0, len(lines), 2):
        t = [int(x) for x in lines[i].split()]
        p = [int(x) for x in lines[i + 1].split()]
        out.write("%r %r %r\n" % (adjusted_mutual_info_score(t, p),
                                  normalized_mutual_info_score(t, p),
                                  adjusted_rand_score(t, p)))
)PY";

struct Case {
  Labels truth, pred;
  std::string what;
};

/// Labels in [0, k): uniform, or skewed (u^3 piles the mass on low ids).
Labels draw(std::mt19937_64& rng, int n, int k, bool skewed) {
  Labels out(n);
  for (auto& x : out) {
    double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    if (skewed) u = u * u * u;
    x = static_cast<std::int32_t>(u * k);
  }
  return out;
}

std::vector<Case> make_cases() {
  std::mt19937_64 rng(20240607);
  const int sizes[] = {20, 57, 300, 1000, 2500, 5000};
  std::vector<Case> cases;
  for (int c = 0; c < 30; ++c) {
    const int n = sizes[c % 6];
    const int kt = c == 0 ? 1 : 1 + static_cast<int>(rng() % 50);
    const int kp = c == 1 ? 1 : 1 + static_cast<int>(rng() % 50);
    const bool skewed = c % 3 == 1;
    Case cs;
    cs.truth = draw(rng, n, kt, skewed);
    cs.pred = draw(rng, n, kp, c % 4 == 2);
    std::ostringstream what;
    what << "case " << c << ": n=" << n << " kt=" << kt << " kp=" << kp
         << (skewed ? " skewed" : "");
    if (c % 5 == 3) {
      // Correlated: pred agrees with truth for most rows, like a decent clustering.
      for (int i = 0; i < n; ++i) {
        if (rng() % 4 != 0) cs.pred[i] = (cs.truth[i] * 7 + 3) % kp;
      }
      what << " correlated";
    }
    if (c % 7 == 4) {
      // Sparse, negative, non-contiguous label values.
      for (auto& x : cs.truth) x = x * 37 - 100;
      for (auto& x : cs.pred) x = x * 1009 - 5;
      what << " sparse-labels";
    }
    cs.what = what.str();
    cases.push_back(std::move(cs));
  }
  return cases;
}

using cp::testing::TempDir;

TEST(MetricsSklearn, GeneratedLabelingsAgreeWithSklearn) {
  const std::vector<Case> cases = make_cases();
  TempDir dir("cp_metrics_sklearn");
  const fs::path input = dir.path / "labels.txt";
  const fs::path output = dir.path / "scores.txt";
  const fs::path script = dir.path / "score.py";
  {
    std::ofstream(script) << kScript;
    std::ofstream in(input);
    for (const Case& c : cases) {
      for (const Labels* l : {&c.truth, &c.pred}) {
        for (std::size_t i = 0; i < l->size(); ++i) in << (i ? " " : "") << (*l)[i];
        in << '\n';
      }
    }
  }
  const std::string cmd = std::string(kPython) + " " + script.string() + " " + input.string() +
                          " " + output.string();
  const int rc = std::system(cmd.c_str());
  ASSERT_EQ(rc, 0) << "'" << cmd << "' failed (status " << rc << "): " << kPython
                   << " must be able to import sklearn; the project setup installs"
                      " python3-sklearn (apt)";

  std::ifstream out(output);
  std::string tag, version;
  out >> tag >> version;
  ASSERT_EQ(tag, "sklearn") << "unexpected output from " << script;
  RecordProperty("sklearn_version", version);
  for (const Case& c : cases) {
    double ami = 0, nmi = 0, ari = 0;
    ASSERT_TRUE(out >> ami >> nmi >> ari) << "missing scores for " << c.what;
    EXPECT_NEAR(cp::adjusted_mutual_info(c.truth, c.pred), ami, 1e-9)
        << c.what << " (sklearn " << version << ")";
    EXPECT_NEAR(cp::normalized_mutual_info(c.truth, c.pred), nmi, 1e-9)
        << c.what << " (sklearn " << version << ")";
    EXPECT_NEAR(cp::adjusted_rand(c.truth, c.pred), ari, 1e-9)
        << c.what << " (sklearn " << version << ")";
  }
}

}  // namespace
