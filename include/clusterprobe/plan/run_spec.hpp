#pragma once
// A run of the plan: what it is made of (config/sections.hpp), the id that
// hashes it, and what planning adds (its role, its cost).
#include <string>

#include "clusterprobe/config/sections.hpp"

namespace cp {

/// One point of the grid with everything needed to train it.
struct RunSpec : RunFields {
  std::string id;               ///< stable content hash of `resolved_yaml` (16 hex digits)
  /// Whether another run of the plan starts from this one's weights (set by
  /// expand_grid; not part of the id).
  bool is_pretraining = false;
  /// The fields that determine the run's results, as YAML text in a fixed order
  /// (train.threads and unused schedule/data fields are left out, so they do not change the id).
  std::string resolved_yaml;
  double cost = 0;              ///< rough relative cost estimate, for scheduling
  double training_cost = 0;     ///< the part of `cost` that training takes (saved when shared)
  /// Hash of training_run_yaml: runs with the same one train the same network.
  std::string training_id;
  /// The run whose training produces this run's network and files (the first
  /// run of the plan with its training_id): its own id when it trains. The
  /// others are not claimed; their files are stored from that training.
  std::string trained_by;
};

}  // namespace cp
