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
  if (remaining_cost <= 0) return 0;
  if (done_cost <= 0 || workers <= 0) return -1;
  return remaining_cost * (done_seconds / done_cost) / workers;
}

double live_eta_seconds(double done_cost, double done_seconds, double remaining_cost, int workers) {
  if (remaining_cost <= 0) return 0;
  if (done_seconds < kEtaMinSeconds || done_cost < kEtaMinShare * (done_cost + remaining_cost)) return -1;
  return eta_seconds(done_cost, done_seconds, remaining_cost, workers);
}

}  // namespace cp
