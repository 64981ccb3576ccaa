// Whether an activations file is a complete record of its run: what `train`
// skips, `cluster` reads and `plan` and `status` call complete.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <sstream>

#include "clusterprobe/io/activations.hpp"

namespace cp {

std::string incomplete_reason(const std::string& path, const std::string& run_id,
                              const std::vector<std::string>& layers) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return "not trained yet";
  try {
    const ActivationFile file(path);
    if (!file.complete()) return "its 'complete' attribute is not 1";
    if (file.string_attr("run_id") != run_id)
      return "it belongs to run '" + file.string_attr("run_id") + "'";
    // Every stored epoch the writer listed must hold every probe point the run extracts.
    std::set<std::pair<int, std::string>> held;
    for (const auto& k : file.layers()) held.insert({k.epoch, k.layer});
    const std::string listed = file.string_attr("stored_epochs");
    if (listed.empty()) return "it lists no stored epochs";
    std::istringstream epochs(listed);
    for (std::string e; std::getline(epochs, e, ',');) {
      const int epoch = std::atoi(e.c_str());
      for (const auto& layer : layers) {
        // The raw inputs do not change with training: stored at epoch 0 only.
        const bool once = layer == "input" && epoch != 0;
        if (layer != "all" && !once && !held.count({epoch, layer}))
          return "/epoch_" + e + "/" + layer + " is missing";
      }
      if (std::none_of(held.begin(), held.end(), [&](const auto& h) { return h.first == epoch; }))
        return "/epoch_" + e + " is missing";
    }
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

}  // namespace cp
