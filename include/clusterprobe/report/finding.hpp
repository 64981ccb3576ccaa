#pragma once
// A finding a study sets out to reproduce, as its study file states it
// (findings:), and the report's verdict on it. Two kinds:
//   difference: on `axis`, level `better` scores above level `worse` (the
//     factor effects' Holm-adjusted comparison of `metric` at layer `at`);
//   ratio: the e2e accuracy of coarse-trained runs over the fine-label
//     accuracy of the matching fine-trained run (the neural-collapse papers'
//     "recovered fine accuracy"), expected near `expected` (within `tolerance`).
#include <string>
#include <vector>

namespace cp {

struct Finding {
  std::string name;             ///< short handle, e.g. hierarchy
  std::string claim;            ///< the sentence the source makes
  std::string source;           ///< where it is made (paper, section)
  std::string kind = "difference";
  std::string axis;             ///< difference: a grid axis (dataset, architecture, normalization, pretraining, labels)
  std::string better, worse;    ///< difference: two levels of it
  std::string metric = "ami";   ///< difference: ami | e2e_accuracy
  std::string at = "penultimate";  ///< penultimate | best
  double expected = 0, tolerance = 0;  ///< ratio
  /// ratio: only the runs of this dataset spec (e.g. one hierarchy); empty: all.
  std::string dataset;
};

inline const std::vector<std::string>& finding_axes() {
  static const std::vector<std::string> axes{"dataset", "architecture", "normalization", "pretraining", "labels"};
  return axes;
}

}  // namespace cp
