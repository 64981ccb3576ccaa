// Preprocessing steps: parsing (shared by the config validator and
// preprocess()) and their application. The PCA itself is in pca.cpp.
#include "clusterprobe/cluster/preprocess.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "clusterprobe/common/error.hpp"

namespace cp {
namespace {

struct Step {
  enum class Kind { center, l2, whiten, pca };
  Kind kind = Kind::center;
  PcaKeep keep;  ///< for whiten and pca
};

/// Relative variance below which "whiten" drops a component: scaling a
/// direction of (numerically) no variance to unit variance amplifies noise.
constexpr double kWhitenDropBelow = 1e-10;

/// Rows projected per GEMM: 16 MB of scores at 1024 columns.
constexpr Eigen::Index kProjectRows = 4096;

[[noreturn]] void reject(const std::string& step, const std::string& why) {
  throw ConfigError("invalid step '" + step + "': " + why);
}

PcaKeep parse_pca_argument(const std::string& step, const std::string& arg) {
  if (arg.empty()) reject(step, "pca needs an argument, pca:<n> or pca:<fraction>");
  const bool integer = std::all_of(arg.begin(), arg.end(),
                                   [](unsigned char c) { return std::isdigit(c) != 0; });
  PcaKeep keep;
  if (integer) {
    errno = 0;
    const unsigned long long n = std::strtoull(arg.c_str(), nullptr, 10);
    if (errno == ERANGE || n == 0) reject(step, "the component count must be an integer >= 1");
    keep.rule = PcaKeep::Rule::count;
    // Counts are capped at min(rows, cols) anyway; doubles hold them exactly up to 2^53.
    keep.value = static_cast<double>(std::min<unsigned long long>(n, 1ULL << 53));
    return keep;
  }
  char* end = nullptr;
  errno = 0;
  const double f = std::strtod(arg.c_str(), &end);
  if (end != arg.c_str() + arg.size() || errno == ERANGE || !std::isfinite(f)) {
    reject(step, "expected pca:<n> (integer >= 1) or pca:<f> (0 < f < 1)");
  }
  if (!(f > 0.0 && f < 1.0)) {
    reject(step, "a variance fraction must lie strictly between 0 and 1 "
                 "(use an integer for a component count)");
  }
  keep.rule = PcaKeep::Rule::fraction;
  keep.value = f;
  return keep;
}

Step parse_step(const std::string& step) {
  Step s;
  if (step == "center") {
    s.kind = Step::Kind::center;
  } else if (step == "l2") {
    s.kind = Step::Kind::l2;
  } else if (step == "whiten") {
    s.kind = Step::Kind::whiten;
    s.keep = {PcaKeep::Rule::significant, kWhitenDropBelow};
  } else if (step.rfind("pca:", 0) == 0) {
    s.kind = Step::Kind::pca;
    s.keep = parse_pca_argument(step, step.substr(4));
  } else {
    throw ConfigError("unknown step '" + step +
                      "' (known: center, l2, whiten, pca:<n>, pca:<fraction>)");
  }
  return s;
}

void normalise_rows(RowMatrixXf& X) {
  for (Eigen::Index i = 0; i < X.rows(); ++i) {
    const double norm = X.row(i).cast<double>().norm();
    if (norm > 0.0) X.row(i) = (X.row(i).cast<double>() / norm).cast<float>();
  }
}

/// Replaces X by its scores on the kept principal axes, each divided by its
/// standard deviation when whitening.
void project(RowMatrixXf& X, const PcaKeep& keep, bool whiten, const RowHolders& holders) {
  const Pca pca = principal_components(X, keep, holders);  // centres X
  if (whiten && pca.axes.cols() == 0) return;     // no variance at all: stay centred
  Eigen::MatrixXd basis = pca.axes;
  if (whiten) basis *= pca.variance.cwiseSqrt().cwiseInverse().asDiagonal();
  // The scaling is folded into the basis so the projection is one GEMM per
  // block of rows, written over X itself: row i's r scores go where its d
  // values began (r <= d), past every row already read and before any not
  // yet read. Whitening keeps r = d and needs no second matrix; a PCA to
  // r < d copies the r columns out at the end.
  const Eigen::MatrixXf basis_f = basis.cast<float>();
  const Eigen::Index r = basis_f.cols(), rows = X.rows();
  RowMatrixXf block;
  for (Eigen::Index a = 0; a < rows; a += kProjectRows) {
    const Eigen::Index n = std::min(kProjectRows, rows - a);
    block.noalias() = X.middleRows(a, n) * basis_f;
    std::copy(block.data(), block.data() + block.size(), X.data() + a * r);
  }
  if (r == X.cols()) return;
  RowMatrixXf scores = Eigen::Map<const RowMatrixXf>(X.data(), rows, r);
  X = std::move(scores);
}

}  // namespace

void check_preprocess_step(const std::string& step) { parse_step(step); }

void center_columns(RowMatrixXf& X, const RowHolders& holders) {
  const Eigen::RowVectorXd mean = column_means(X, holders);
  if (holders.rows(X.rows()) == 0) return;
  X.rowwise() -= mean.cast<float>();
}

void preprocess(RowMatrixXf& X, const std::vector<std::string>& steps, const RowHolders& holders) {
  // Parse every step first: an error must leave X untouched.
  std::vector<Step> parsed;
  parsed.reserve(steps.size());
  for (const std::string& step : steps) parsed.push_back(parse_step(step));
  for (const Step& s : parsed) {
    switch (s.kind) {
      case Step::Kind::center:
        center_columns(X, holders);
        break;
      case Step::Kind::l2:
        normalise_rows(X);
        break;
      case Step::Kind::whiten:
        project(X, s.keep, true, holders);
        break;
      case Step::Kind::pca:
        project(X, s.keep, false, holders);
        break;
    }
  }
}

}  // namespace cp
