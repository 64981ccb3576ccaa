#pragma once
// This host's name: what locks, claims and log lines say a process runs on
// (on a cluster, the node).
#include <string>

namespace cp {

/// Local. gethostname(), or "unknown-host" when it fails.
std::string host_name();

}  // namespace cp
