#include "clusterprobe/cluster/preprocess.hpp"

#include <cmath>

#include "clusterprobe/common/error.hpp"

namespace cp {

void preprocess(RowMatrixXf& X, const std::vector<std::string>& steps) {
  // Validate every step first: an error must leave X untouched.
  for (const std::string& step : steps) {
    if (step != "center" && step != "l2") {
      throw ConfigError("cluster.preprocess: unknown step '" + step + "' (known: center, l2)");
    }
  }
  for (const std::string& step : steps) {
    if (step == "center") {
      if (X.rows() == 0) continue;
      // Summed in double: float sums over 1e5 rows lose digits of the mean.
      Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(X.cols());
      for (Eigen::Index i = 0; i < X.rows(); ++i) sum += X.row(i).cast<double>();
      const Eigen::RowVectorXf mean = (sum / static_cast<double>(X.rows())).cast<float>();
      X.rowwise() -= mean;
    } else {
      for (Eigen::Index i = 0; i < X.rows(); ++i) {
        const double norm = X.row(i).cast<double>().norm();
        if (norm > 0.0) X.row(i) = (X.row(i).cast<double>() / norm).cast<float>();
      }
    }
  }
}

}  // namespace cp
