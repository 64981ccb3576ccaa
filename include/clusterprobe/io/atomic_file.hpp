#pragma once
// Whole-file outputs that are either complete or absent: written under a
// temporary name, flushed to disk and renamed, so a crash or a full file
// system never leaves a truncated file at the final name, and an older good
// file survives a failed new one.
#include <string>
#include <utility>
#include <vector>

namespace cp {

/// Local. The name an output is written under before it is renamed to
/// `path`: `<path>.tmp`. Its presence means a writer started (`status`).
std::string temporary_path(const std::string& path);

/// Local. Creates `path` as a new file for writing: whatever is there (a stale
/// file, a planted symlink) is unlinked first, and the file is created with
/// O_EXCL|O_NOFOLLOW, so no existing name is ever followed. Returns the
/// descriptor, or -1 with errno set.
int create_new_file(const std::string& path);

/// Local. Writes `bytes` to temporary_path(path) (created by create_new_file),
/// fsyncs it and renames it to `path`.
/// Throws IoError naming the file (the tmp file is removed, `path` untouched).
void write_file_atomically(const std::string& path, const std::string& bytes);

/// Outputs that are read together (a report's page, its text and its tables)
/// and so must not be half replaced: each is written under its temporary
/// name first, and only when all are written does commit() rename them. A
/// full disk while staging leaves every old output as it was.
class ReplaceTogether {
 public:
  ReplaceTogether() = default;
  ReplaceTogether(const ReplaceTogether&) = delete;
  ReplaceTogether& operator=(const ReplaceTogether&) = delete;
  /// Local. Removes the staged files that were not committed.
  ~ReplaceTogether();

  /// Local. Writes `bytes` to temporary_path(path), fsynced, not yet renamed.
  /// Throws IoError naming the file.
  void stage(const std::string& path, const std::string& bytes);
  /// Local. A file already written at `written` (same file system) that
  /// replaces `path` at commit().
  void stage_written(const std::string& written, const std::string& path);
  /// Local. Renames every staged file in the order staged. A rename that
  /// fails (rare: no data is written) throws IoError listing which outputs
  /// are new and which were left stale.
  void commit();

 private:
  std::vector<std::pair<std::string, std::string>> staged_;  ///< (written name, final name)
};

/// Local. The whole content of `path`, or "" when it cannot be read or is not
/// a regular file (small files: lock holders, claims, logs).
std::string read_file_text(const std::string& path);

}  // namespace cp
