#include "clusterprobe/common/eta.hpp"

#include <cstdio>

namespace cp {

std::string duration_text(double seconds) {
  if (seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  char text[32];
  if (s < 60) std::snprintf(text, sizeof text, "%lds", s);
  else if (s < 3600) std::snprintf(text, sizeof text, "%ldm%02lds", s / 60, s % 60);
  else std::snprintf(text, sizeof text, "%ldh%02ldm", s / 3600, s % 3600 / 60);
  return text;
}

double eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers) {
  if (done_cost <= 0 || workers <= 0) return -1;
  return remaining_cost * (done_seconds / done_cost) / workers;
}

}  // namespace cp
