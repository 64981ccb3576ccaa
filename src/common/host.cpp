#include "clusterprobe/common/host.hpp"

#include <unistd.h>

namespace cp {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) return "unknown-host";
  return host;
}

}  // namespace cp
