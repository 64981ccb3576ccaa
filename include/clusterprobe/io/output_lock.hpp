#pragma once
// One writer per output directory. `train`, `cluster`, `report`, `run` and
// `analyze` hold <output>/.clusterprobe.lock while they work; a second writer
// is refused with a message naming the holder (host, pid, start, Slurm job).
//
// Where the file system supports flock (local disks, NFS with lockd, Lustre
// mounted with -o flock) the kernel releases the lock of a holder that dies,
// so a dead holder's lock is simply taken over. Where it does not, the lock
// file is created exclusively (O_EXCL) and a holder on this host that no
// longer runs is recognised as stale and replaced; a lock held from another
// host is refused, and the message says to remove the file if that job is gone.
//
// The directory also records its study's name (<output>/.clusterprobe.study):
// another study pointed at the same output is refused instead of silently
// replacing its index, metrics and report.
#include <memory>
#include <string>

namespace cp {

class OutputLayout;

class OutputLock {
 public:
  /// Local (call on one rank). Creates `output_dir` if needed and takes the
  /// lock. Throws IoError naming the holder when another process has it, and
  /// ConfigError when the directory belongs to another study.
  ///
  /// With `cooperate` (a submission token: the tasks of one Slurm job array)
  /// the lock is shared among the commands given the same token, which
  /// divide the runs through claim files (sched/file_claim.hpp); a command
  /// with another token or none is refused while they hold it, naming them.
  /// Needs flock on the output's file system.
  OutputLock(const std::string& output_dir, const std::string& study_name, const std::string& cooperate = {});
  /// Releases the lock.
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  /// The text a holder writes into the lock file: host, pid, start time, job.
  static std::string holder_text();

  /// Local. Who holds the output's lock now, or empty when nobody does (a
  /// probe: taking and releasing it at once; exclusive, so that array tasks
  /// sharing it show).
  static std::string holder(const OutputLayout& layout);

 private:
  void release() noexcept;
  void share(const std::string& output_dir, const std::string& token);

  std::string path_;
  int fd_ = -1;
  bool exclusive_file_ = false;  ///< fallback mode: the file itself is the lock
  bool shared_ = false;          ///< held with the array tasks of one submission
};

/// A blocking exclusive flock on `path` for a short critical section (array
/// tasks writing the study index one after another). Where the file system
/// has no flock it locks nothing: the writes are atomic renames anyway.
class FileMutex {
 public:
  explicit FileMutex(const std::string& path);
  ~FileMutex();
  FileMutex(const FileMutex&) = delete;
  FileMutex& operator=(const FileMutex&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace cp
