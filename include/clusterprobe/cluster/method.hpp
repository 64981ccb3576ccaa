#pragma once
// The clustering methods a study can ask for (cluster.methods), with their
// one name table: names appear only in study files, records and messages.
#include <optional>
#include <string>
#include <vector>

namespace cp {

enum class Method { kmeans, spectral, ssc };

/// Local. Every method's name, in the enum's order.
const std::vector<std::string>& method_names();

/// Local. The name of `method`.
const std::string& name_of(Method method);

/// Local. The method named `name`, or nothing.
std::optional<Method> parse_method(const std::string& name);

/// Local. Whether `list` has `method`.
bool has(const std::vector<Method>& list, Method method);

}  // namespace cp
