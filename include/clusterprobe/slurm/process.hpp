#pragma once
// Running Slurm's command-line tools (sbatch, scontrol, squeue, sacct) without
// a shell: arguments travel as they are, so nothing in a path is ever parsed.
#include <string>
#include <vector>

namespace cp {

struct ProcessResult {
  int exit_code = -1;   ///< -1: could not be started (not installed)
  std::string out;      ///< standard output
  std::string err;      ///< standard error
};

/// Local. Runs argv[0] (looked up in PATH) with `argv` and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv);

/// Local. `text` as one word for bash, single-quoted unless it is plainly safe
/// (letters, digits and ,._+:@%/=-): $, `, quotes, spaces and newlines stay literal.
std::string shell_quote(const std::string& text);

/// Local. `args` as a bash command line: each shell_quote()d, space-separated.
std::string shell_words(const std::vector<std::string>& args);

}  // namespace cp
