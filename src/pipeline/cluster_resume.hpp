#pragma once
// What a stopped cluster stage keeps so that the same command again does not
// redo finished items: the records of each finished item, under a key that
// names the item and the identity of its file (so a run trained again since
// is scored again), with a fingerprint of the clustering settings (another
// cluster: or metrics: setting starts over). Private to src/pipeline.
#include <string>
#include <vector>

#include "clusterprobe/config/study.hpp"
#include "clusterprobe/probe/items.hpp"

namespace cp::detail {

/// Local. One key per item: run, file, epoch, layer, shape, and the file's
/// size and modification time.
std::vector<std::string> item_keys(const std::vector<WorkItem>& items);

/// Local. A hash of what every item's records depend on beside its file.
std::string settings_fingerprint(const StudyConfig& study);

/// Local. The finished items recorded at `path` whose keys are among `keys`
/// (indices into them); empty when there is no file, or it was written with
/// other settings (logged). A file that cannot be read is an InputError.
ItemResults load_partial(const std::string& path, const std::string& fingerprint,
                         const std::vector<std::string>& keys);

/// Local. Writes `results` (indices into `keys`) to `path`, atomically.
void save_partial(const std::string& path, const std::string& fingerprint, const std::vector<std::string>& keys,
                  const ItemResults& results);

}  // namespace cp::detail
