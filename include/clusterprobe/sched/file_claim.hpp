#pragma once
// Run claims across jobs: the tasks of a Slurm job array (each its own MPI
// world) cooperate on one study through its output directory. A run is
// claimed by creating runs/<id>/claim exclusively (O_EXCL, atomic on NFS v3+
// and Lustre); its holder renews a lease by touching the file while it
// trains; a claim not renewed for a lease is taken over (the holder's job was
// killed) and the run resumes from its checkpoint. Every event goes to
// <output>/slurm/claims.log.
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace cp {

class RunClaims {
 public:
  /// Local. `token` names the cooperating submission; `lease_seconds` is how
  /// long a claim lasts without renewal (renewed every quarter of it).
  RunClaims(std::string token, double lease_seconds, std::string log_path);
  /// Stops renewing; claims still held are released (removed).
  ~RunClaims();
  RunClaims(const RunClaims&) = delete;
  RunClaims& operator=(const RunClaims&) = delete;

  enum class Result { claimed, held, failed };
  struct Answer {
    Result result;
    std::string detail;  ///< held: the holder; failed: the failure recorded by the task that ran it
  };

  /// Local (a group leader). Claims run `run_id` whose directory is `run_dir`:
  /// a fresh claim, or one whose lease expired (taken over). Throws IoError
  /// when the claim file cannot be written.
  Answer acquire(const std::string& run_dir, const std::string& run_id);

  /// Local. The run is complete or was stopped resumably (`why`): the claim goes away.
  void release(const std::string& run_dir, const std::string& why);

  /// Local. The run failed: the claim stays as the record, so no task trains it again.
  void fail(const std::string& run_dir, const std::string& message);

  /// This process's name in claims: host, pid and Slurm job (array task).
  const std::string& holder() const { return holder_; }

 private:
  void renew_loop();
  void log(const std::string& event, const std::string& run_id, const std::string& detail);

  std::string token_, holder_, log_path_;
  double lease_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::string> held_;  ///< claim file -> run id
  std::thread renewer_;
};

}  // namespace cp
