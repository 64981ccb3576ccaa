// BREEDS-style domain splits (Santurkar et al. 2021): the source and target
// halves of a hierarchy share every superclass but no subclass, so a probe
// trained on one half measures transfer to unseen subclasses.
#include <string>

#include "clusterprobe/common/error.hpp"
#include "loaders.hpp"

namespace cp::detail {

Hierarchy split_hierarchy(const Hierarchy& h, Half half, const std::string& spec) {
  if (half == Half::all) return h;
  Hierarchy out = h;
  out.name += half == Half::source ? ":source" : ":target";
  out.fine_to_coarse.assign(h.fine_to_coarse.size(), -1);
  for (int c = 0; c < h.num_coarse(); ++c) {
    const std::vector<int>& all = h.subclasses[c];  // sorted by label (Hierarchy's invariant)
    const auto cut = (all.size() + 1) / 2;  // source gets the extra subclass of an odd superclass
    std::vector<int> kept = half == Half::source ? std::vector<int>(all.begin(), all.begin() + cut)
                                                 : std::vector<int>(all.begin() + cut, all.end());
    // A superclass left with one subclass has nothing to cluster within it.
    if (kept.size() < 2) {
      throw ConfigError(spec + ": domain split needs >= 2 subclasses per superclass; superclass '" +
                        h.coarse_names[c] + "' has " + std::to_string(kept.size()) + " in the " +
                        (half == Half::source ? "source" : "target") + " half (of " +
                        std::to_string(all.size()) + ")");
    }
    for (int f : kept) out.fine_to_coarse[f] = c;
    out.subclasses[c] = std::move(kept);
  }
  return out;
}

void drop_unused_classes(Dataset& ds) {
  const std::int64_t d = ds.sample_size();
  for (Split* s : {&ds.train, &ds.test}) {
    std::vector<std::int64_t> rows;
    for (std::int64_t r = 0; r < s->size(); ++r) {
      const int f = s->fine[r];
      if (f >= 0 && f < ds.hierarchy.num_fine() && ds.hierarchy.fine_to_coarse[f] >= 0) {
        rows.push_back(r);
      }
    }
    if (static_cast<std::int64_t>(rows.size()) == s->size()) continue;
    *s = select_rows(*s, rows, d);
  }
}

}  // namespace cp::detail
