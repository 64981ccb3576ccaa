#pragma once
// The dataset loaders behind load_dataset(). Private to src/data.
#include <string>
#include <vector>

#include "clusterprobe/data/dataset.hpp"

namespace cp::detail {

/// Fashion-MNIST from cfg.fmnist_dir, labelled by hierarchy `hierarchy_name`.
Dataset load_fmnist(const std::string& spec, const std::string& hierarchy_name,
                    const DataConfig& cfg);

/// The hierarchical Gaussian mixture described by cfg.synthetic_*.
Dataset make_synthetic(const std::string& spec, const DataConfig& cfg);

/// Rows `rows` of `src`, in that order (index column included).
Split select_rows(const Split& src, const std::vector<std::int64_t>& rows,
                  std::int64_t sample_size);

}  // namespace cp::detail
