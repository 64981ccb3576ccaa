#pragma once
// The pretraining axis: none | fine:<dataset> | coarse:<dataset> | torchscript:<path>.
// Private to src/plan.
#include <string>

#include "clusterprobe/config/sections.hpp"

namespace cp::detail {

struct Pretraining {
  std::string kind;     ///< none | fine | coarse | torchscript
  std::string dataset;  ///< fine/coarse: the pretraining data
  std::string path;     ///< torchscript: the model file
};

/// Local. Splits a pretraining value; ConfigError for an unknown form.
Pretraining parse_pretraining(const std::string& spec);

/// Local. parse_pretraining, plus: the dataset is valid (check_dataset_spec),
/// or the TorchScript file exists.
void check_pretraining(const std::string& spec, const DataConfig& data);

}  // namespace cp::detail
