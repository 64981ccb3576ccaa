#pragma once
// What a study can measure (its metrics: list), with their one name table:
// names appear only in study files and messages. The records these measures
// produce are named in metrics/record.hpp.
#include <optional>
#include <string>
#include <vector>

namespace cp {

enum class Measure { ami, ari, nmi, accuracy, silhouette, nc1, selectivity, cka, community };

/// Local. Every measure's name, in the enum's order.
const std::vector<std::string>& measure_names();

/// Local. The name of `measure`.
const std::string& name_of(Measure measure);

/// Local. The measure named `name`, or nothing.
std::optional<Measure> parse_measure(const std::string& name);

/// Local. Whether `list` has `measure`.
bool has(const std::vector<Measure>& list, Measure measure);

}  // namespace cp
