#pragma once
// Names the model zoo answers to, without LibTorch: the study file is
// validated against these before any training starts.
#include <string>
#include <vector>

namespace cp {

const std::vector<std::string>& known_architectures();   ///< mlp, cnn
const std::vector<std::string>& known_normalizations();  ///< batch, layer, group, none

/// Probe points of an architecture in forward order: "input" (the raw input),
/// every block's output, the penultimate features, "logits".
/// Throws ConfigError for an unknown architecture.
const std::vector<std::string>& probe_points(const std::string& architecture);

/// The probe point holding the penultimate features (the neural-collapse layer).
const std::string& penultimate_point(const std::string& architecture);

}  // namespace cp
