#include "pretraining.hpp"

#include <filesystem>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/data/dataset.hpp"

namespace cp::detail {

Pretraining parse_pretraining(const std::string& spec) {
  if (spec == "none") return {"none", "", ""};
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  const std::string rest = colon == std::string::npos ? "" : spec.substr(colon + 1);
  if ((kind == "fine" || kind == "coarse") && !rest.empty()) return {kind, rest, ""};
  if (kind == "torchscript" && !rest.empty()) return {kind, "", rest};
  throw ConfigError("unknown pretraining '" + spec +
                    "' (expected none, fine:<dataset>, coarse:<dataset> or torchscript:<path>)");
}

void check_pretraining(const std::string& spec, const DataConfig& data) {
  const Pretraining p = parse_pretraining(spec);
  if (p.kind == "fine" || p.kind == "coarse") check_dataset_spec(p.dataset, data);
  if (p.kind == "torchscript") {
    std::error_code ec;
    if (!std::filesystem::exists(p.path, ec)) throw ConfigError("TorchScript file '" + p.path + "' does not exist");
    check_regular_input(p.path, "TorchScript file");
  }
}

}  // namespace cp::detail
