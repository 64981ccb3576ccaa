#include "cluster_resume.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <filesystem>
#include <map>

#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/fields.hpp"
#include "clusterprobe/common/hash.hpp"
#include "clusterprobe/io/atomic_file.hpp"

namespace cp::detail {
namespace {

const std::string kMagic = "clusterprobe cluster partial 1";

}  // namespace

std::vector<std::string> item_keys(const std::vector<WorkItem>& items) {
  std::map<std::string, std::string> identity;  // file -> size and time, read once
  std::vector<std::string> keys;
  for (const auto& w : items) {
    auto& id = identity[w.path];
    if (id.empty()) {
      struct stat st {};
      if (::stat(w.path.c_str(), &st) == 0) {
        put_field(id, static_cast<std::int64_t>(st.st_size));
        put_field(id, static_cast<std::int64_t>(st.st_mtim.tv_sec));
        put_field(id, static_cast<std::int64_t>(st.st_mtim.tv_nsec));
      } else {
        put_field(id, std::string("unreadable"));
      }
    }
    std::string key;
    put_field(key, w.run_id);
    put_field(key, w.path);
    put_field(key, std::int64_t{w.key.epoch});
    put_field(key, w.key.layer);
    put_field(key, w.key.rows);
    put_field(key, w.key.dim);
    keys.push_back(key + id);
  }
  return keys;
}

std::string settings_fingerprint(const StudyConfig& study) {
  std::string text;
  for (const auto& [key, value] : clustering_settings(study)) {
    put_field(text, key);
    put_field(text, value);
  }
  return content_hash(text);
}

ItemResults load_partial(const std::string& path, const std::string& fingerprint,
                         const std::vector<std::string>& keys) {
  if (!std::filesystem::exists(path)) return {};
  const std::string bytes = read_file_text(path);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < keys.size(); ++i) index.emplace(keys[i], i);
  ItemResults out;
  try {
    FieldReader in(bytes);
    if (bytes.empty() || in.text() != kMagic) throw InternalError("not a partial cluster file");
    if (in.text() != fingerprint) {
      spdlog::warn("cluster: {} was written with other cluster: or metrics: settings: every item is clustered again",
                   path);
      return {};
    }
    while (!in.done()) {
      const std::string key = in.text();
      const std::string batch = in.text();
      const auto it = index.find(key);
      if (it != index.end()) out.emplace_back(it->second, deserialize_batch(batch));
    }
  } catch (const std::exception& e) {
    throw InputError(path + ": unreadable (" + message_of(e) +
                     "): remove it, and the cluster stage scores every item again");
  }
  return out;
}

void save_partial(const std::string& path, const std::string& fingerprint, const std::vector<std::string>& keys,
                  const ItemResults& results) {
  std::string bytes;
  put_field(bytes, kMagic);
  put_field(bytes, fingerprint);
  for (const auto& [i, batch] : results) {
    put_field(bytes, keys.at(i));
    put_field(bytes, serialize_batch(batch));
  }
  write_file_atomically(path, bytes);
}

}  // namespace cp::detail
