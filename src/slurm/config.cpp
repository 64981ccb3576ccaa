#include "clusterprobe/slurm/config.hpp"

#include <algorithm>
#include <cctype>

namespace cp {

std::int64_t slurm_time_seconds(const std::string& text) {
  // D-H[:M[:S]] has a day part; otherwise M, M:S or H:M:S.
  std::int64_t days = 0;
  std::string rest = text;
  const auto dash = text.find('-');
  const bool has_days = dash != std::string::npos;
  std::vector<std::int64_t> parts;
  auto number = [](const std::string& s, std::int64_t& v) {
    if (s.empty() || s.size() > 6 || !std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); }))
      return false;
    v = std::stoll(s);
    return true;
  };
  if (has_days) {
    if (!number(text.substr(0, dash), days)) return -1;
    rest = text.substr(dash + 1);
  }
  std::size_t start = 0;
  for (;;) {
    const auto colon = rest.find(':', start);
    std::int64_t v = 0;
    if (!number(rest.substr(start, colon - start), v)) return -1;
    parts.push_back(v);
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3) return -1;
  std::int64_t seconds = 0;
  if (has_days) {
    const std::int64_t hms[3] = {3600, 60, 1};
    for (std::size_t i = 0; i < parts.size(); ++i) seconds += parts[i] * hms[i];
  } else if (parts.size() == 1) {
    seconds = parts[0] * 60;
  } else if (parts.size() == 2) {
    seconds = parts[0] * 60 + parts[1];
  } else {
    seconds = parts[0] * 3600 + parts[1] * 60 + parts[2];
  }
  return days * 86400 + seconds;
}

}  // namespace cp
