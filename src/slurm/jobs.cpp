#include "clusterprobe/slurm/jobs.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "clusterprobe/io/atomic_file.hpp"
#include "clusterprobe/slurm/process.hpp"

namespace cp {
namespace {

namespace fs = std::filesystem;

const char* kHeader = "# job\tstage\tevent\ttime\trequeues\n";

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> parts;
  std::istringstream in(line);
  for (std::string part; std::getline(in, part, '\t');) parts.push_back(part);
  return parts;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace


std::vector<Submission> read_jobs(const std::string& path) {
  std::vector<Submission> subs;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    const auto parts = split_tabs(line);
    if (parts.size() >= 3 && parts[0] == "# submission") {
      subs.push_back({parts[1], parts[2], {}});
    } else if (!subs.empty() && parts.size() >= 5 && !line.empty() && line[0] != '#') {
      subs.back().rows.push_back({parts[0], parts[1], parts[2], parts[3], parts[4]});
    }
  }
  return subs;
}

void record_submission(const std::string& path, const Submission& submission) {
  std::string text;
  if (fs::exists(path)) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream old;
    old << in.rdbuf();
    text = old.str();
  }
  if (text.empty()) text = kHeader;
  if (text.back() != '\n') text += '\n';
  text += "# submission\t" + submission.token + "\t" + submission.time + "\n";
  for (const auto& r : submission.rows)
    text += r.job + "\t" + r.stage + "\t" + r.event + "\t" + r.time + "\t" + r.requeues + "\n";
  write_file_atomically(path, text);
}

std::map<std::string, std::string> slurm_states(const std::vector<std::string>& jobs) {
  std::map<std::string, std::string> states;
  if (jobs.empty()) return states;
  const ProcessResult queue = run_process({"squeue", "-h", "--me", "-o", "%i|%T"});
  for (const auto& line : lines_of(queue.exit_code == 0 ? queue.out : "")) {
    const auto bar = line.find('|');
    if (bar == std::string::npos) continue;
    const std::string id = line.substr(0, bar), state = line.substr(bar + 1);
    for (const auto& job : jobs) {
      // An array job's id stands for all of its tasks: 12 matches 12_0 and 12_[1-3].
      if (id == job || id.rfind(job + "_", 0) == 0) {
        std::string& s = states[job];
        s += (s.empty() ? "" : ", ") + (id == job ? state : id + " " + state);
      }
    }
  }
  std::string missing;
  for (const auto& job : jobs)
    if (!states.count(job)) missing += (missing.empty() ? "" : ",") + job;
  if (missing.empty()) return states;
  const ProcessResult acct = run_process({"sacct", "-n", "-P", "-X", "-j", missing, "-o", "JobID,State,ExitCode"});
  for (std::string line : lines_of(acct.exit_code == 0 ? acct.out : "")) {
    for (char& c : line) c = c == '|' ? '\t' : c;
    const auto parts = split_tabs(line);
    if (parts.size() < 3) continue;
    for (const auto& job : jobs) {
      if (parts[0] == job || parts[0].rfind(job + "_", 0) == 0) {
        std::string& s = states[job];
        s += (s.empty() ? "" : ", ") + (parts[0] == job ? "" : parts[0] + " ") + parts[1] + " (exit " + parts[2] + ")";
      }
    }
  }
  return states;
}

}  // namespace cp
