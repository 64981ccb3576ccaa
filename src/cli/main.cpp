// clusterprobe: the command-line front end. Everything it does lives in the
// core library; this file parses arguments, validates the study file before
// MPI starts (so every rank fails the same way, early) and maps errors to
// exit codes (README, "Exit codes").
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/agree.hpp"
#include "clusterprobe/comm/groups.hpp"
#include "clusterprobe/common/allocator.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/common/input_file.hpp"
#include "clusterprobe/common/name_table.hpp"
#include "clusterprobe/common/stop.hpp"
#include "clusterprobe/common/host.hpp"
#include "clusterprobe/common/text.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/plan/plan.hpp"
#include "clusterprobe/io/hdf5_state.hpp"
#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/io/output_lock.hpp"
#include "clusterprobe/io/study_index.hpp"
#include "clusterprobe/pipeline/stages.hpp"
#include "clusterprobe/slurm/submit.hpp"
#include "terminal.hpp"

namespace {

// The launcher's rank, known before MPI_Init, so only one rank reports a
// configuration error.
int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

// One write for the whole line: std::cerr is unbuffered, and a line written in
// pieces may reach the launcher's merged output with another rank's (or this
// rank's stdout) text inside it.
void print_error_line(const std::string& line) {
  std::cout.flush();
  std::cerr << (cp::printable(line) + "\n");
}

struct Args {
  std::string study;
  std::vector<std::string> overrides;
  std::string output;
  std::string cooperate;  ///< train: the submission token shared by array tasks
  bool verbose = false;
  bool dry_run = false;
  std::map<std::string, std::string> slurm;  ///< slurm flags: key of the slurm: section -> value
  std::vector<std::string> sbatch;
  bool no_requeue = false;
  bool trainer = false;  ///< version: load the training module too
  bool allow_incomplete = false;  ///< analyze: a complete=0 file too
};

// `clusterprobe slurm` flags are overrides of the study's slurm: section, so
// one validation path checks both; values go in quoted, taken literally.
void add_slurm_flags(CLI::App* sub, Args& args) {
  const std::pair<const char*, const char*> flags[] = {
      {"nodes", "nodes of the train job"}, {"ranks-per-node", "MPI ranks per node"},
      {"gpus-per-node", "GPUs per node"}, {"cpus-per-rank", "CPUs per rank (torch threads)"},
      {"time", "time limit of the train job (Slurm format, e.g. 12:00:00)"}, {"partition", "partition"},
      {"account", "account"}, {"qos", "quality of service"}, {"launcher", "srun (srun --mpi=pmix) or mpirun"},
      {"margin", "seconds before the limit: warning signal and max_hours margin"},
      {"max-requeues", "requeues of the train job before it gives up"},
      {"array", "N cooperating array tasks (backfill mode)"}, {"lease", "seconds an array task's claim lasts"},
      {"cluster-nodes", "nodes of the cluster + report job"}, {"cluster-ranks-per-node", "its ranks per node"},
      {"cluster-gpus-per-node", "its GPUs per node"}, {"cluster-cpus-per-rank", "its CPUs per rank"},
      {"cluster-time", "its time limit"}, {"cluster-partition", "its partition"}};
  for (const auto& [flag, help] : flags) sub->add_option(std::string("--") + flag, args.slurm[flag], help);
  sub->add_option("--sbatch", args.sbatch, "an extra sbatch option for both jobs, e.g. --sbatch=--mem=64G (repeatable)")
      ->allow_extra_args(false);
  sub->add_flag("--no-requeue", args.no_requeue, "after exit 75, submit the job again instead of scontrol requeue");
  sub->add_flag("--dry-run", args.dry_run, "write the scripts into <output>/slurm/ and print them; submit nothing");
}

std::vector<std::string> slurm_overrides(const Args& args) {
  std::vector<std::string> out;
  for (const auto& [flag, value] : args.slurm) {
    if (value.empty()) continue;
    std::string key = flag;
    for (char& c : key) c = c == '-' ? '_' : c;
    if (key.rfind("cluster_", 0) == 0) key = "cluster." + key.substr(8);
    out.push_back("slurm." + key + "=" + cp::yaml_quoted(value));
  }
  if (!args.sbatch.empty()) {
    std::string list;
    for (const auto& o : args.sbatch) list += (list.empty() ? "" : ", ") + cp::yaml_quoted(o);
    out.push_back("slurm.sbatch=[" + list + "]");
  }
  if (args.no_requeue) out.push_back("slurm.requeue=false");
  return out;
}

void add_study_args(CLI::App* sub, Args& args) {
  // Existence is checked by load_study, which says so with the documented exit code.
  sub->add_option("study", args.study, "study file (YAML)")->required();
  sub->add_option("overrides", args.overrides, "key=value overrides of study fields, e.g. train.epochs=1");
}

// Collective over world. Ranks spread over several hosts say which host is
// theirs on every line: a node that fails or lags is then found in the logs.
void setup_logging(bool verbose, int rank, MPI_Comm world) {
  const bool several_hosts = cp::node_placement(world).local_size < cp::comm_size(world);
  cp::cli::set_printable_log_pattern("[%H:%M:%S] [rank " + std::to_string(rank) +
                                     (several_hosts ? " on " + cp::host_name() : std::string()) + "] %l: %v");
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
}

struct Commands {
  CLI::App* plan;
  CLI::App* train;
  CLI::App* cluster;
  CLI::App* report;
  CLI::App* run;
  CLI::App* analyze;
  CLI::App* status;
  CLI::App* slurm;
  CLI::App* version;
};

// The stages the command runs; the exit code of a run that finished.
int run_stages(const Commands& c, const Args& args, const cp::Plan& plan, MPI_Comm world) {
  const cp::StudyConfig& study = plan.study;
  const int rank = cp::comm_rank(world);
  // analyze: the file is judged before anything is written for it.
  cp::StudyInputs analyzed;
  std::vector<std::string> caveats;  // rank 0's
  if (c.analyze->parsed())
    cp::collective(world, [&] {
      if (rank == 0) analyzed = cp::analyze_inputs(args.study, args.allow_incomplete, caveats);
    });
  // One writer per output directory, held by rank 0 for the whole command.
  std::unique_ptr<cp::OutputLock> lock;
  cp::collective(world, [&] {
    if (rank == 0) lock = std::make_unique<cp::OutputLock>(study.output, study.study, args.cooperate);
  });
  bool incomplete = false;
  if (c.train->parsed() || c.run->parsed()) {
    const auto trained = cp::train_stage(plan, world, args.cooperate);
    // Clustering now would overrun the limit too; a job script resubmits on this code.
    if (trained.out_of_time) return cp::kExitOutOfTime;
    incomplete = trained.failed > 0;
  }
  if (c.cluster->parsed() || c.run->parsed()) {
    // Rank 0 lists the work (it opens every run file); the others need only the count.
    cp::StudyInputs inputs;
    const auto complete_runs = cp::from_root<std::int64_t>(world, [&] {
      inputs = cp::study_inputs(plan);
      return static_cast<std::int64_t>(inputs.files.size());
    });
    // Every run failed: nothing to cluster, but the report still lists why.
    if (complete_runs == 0 && incomplete) {
      if (rank == 0) spdlog::error("cluster: no complete run to cluster");
    } else {
      const auto clustered = cp::cluster_stage(inputs, study, study.output, world);
      // Stopped: the report would show a study half clustered; the same command goes on.
      if (clustered.stopped) return cp::kExitOutOfTime;
      incomplete = clustered.failed > 0 || incomplete;
    }
  }
  if (c.analyze->parsed()) {
    const auto clustered = cp::cluster_stage(analyzed, study, study.output, world);
    if (clustered.stopped) return cp::kExitOutOfTime;
    incomplete = clustered.failed > 0;
  }
  if (c.report->parsed() || c.run->parsed() || c.analyze->parsed()) {
    // A study's report shows its plan; `analyze` shows whatever it clustered.
    const cp::Plan* planned = c.analyze->parsed() ? nullptr : &plan;
    incomplete = !cp::report_stage(study.output, planned, world, std::cout, caveats) || incomplete;
  }
  if (incomplete && rank == 0)
    print_error_line("clusterprobe: finished, but some runs or items are not complete (listed above and in " +
                     cp::OutputLayout(study.output).report_md() + ")");
  return incomplete ? cp::kExitIncomplete : 0;
}

Commands define_commands(CLI::App& app, Args& args) {
  app.require_subcommand(1);
  app.add_flag("-v,--verbose", args.verbose, "debug logging");
  Commands c{};
  c.plan = app.add_subcommand("plan", "print the runs of a study");
  c.train = app.add_subcommand("train", "train every run not yet complete");
  c.cluster = app.add_subcommand("cluster", "cluster the stored activations, write metrics.h5/csv");
  c.report = app.add_subcommand("report", "print the result table, write report.md");
  c.run = app.add_subcommand("run", "train, cluster and report");
  for (auto* sub : {c.plan, c.train, c.cluster, c.report, c.run}) add_study_args(sub, args);
  c.train->add_option("--cooperate", args.cooperate,
                      "share the output with the other jobs given this token (array tasks; see slurm/README.md)");
  c.slurm = app.add_subcommand("slurm", "write the study's Slurm jobs into <output>/slurm/ and submit them");
  add_study_args(c.slurm, args);
  add_slurm_flags(c.slurm, args);
  c.status = app.add_subcommand("status", "where a study stands: runs done, running, pending, failed; time left");
  c.status->add_option("study", args.study, "study file, or the study's output directory")->required();
  c.status->add_option("overrides", args.overrides, "key=value overrides of study fields");
  c.analyze = app.add_subcommand("analyze", "cluster and report an activations file from anywhere");
  c.analyze->add_option("file", args.study, "HDF5 file following the activations schema")->required();
  c.analyze->add_option("--output,-o", args.output, "output directory (default: <file>-analysis)");
  c.analyze->add_option("overrides", args.overrides, "key=value overrides, e.g. cluster.restarts=3");
  c.analyze->add_flag("--allow-incomplete", args.allow_incomplete,
                      "analyze a file that says complete=0 (every output says so)");
  c.version = app.add_subcommand("version", "this build and the libraries it runs on (HDF5, MPI, LibTorch)");
  c.version->add_flag("--trainer", args.trainer, "load the training module (LibTorch) and show it too");
  return c;
}

// The first word that is not an option names the subcommand: when it names
// none, the message says so (CLI11 would say "A subcommand is required") and
// suggests the nearest one.
std::optional<std::string> unknown_subcommand(const CLI::App& app, int argc, char** argv) {
  std::string word;
  for (int i = 1; i < argc && word.empty(); ++i)
    if (argv[i][0] != '-') word = argv[i];
  if (word.empty()) return std::nullopt;
  std::vector<std::string> names;
  std::string listed;
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == word) return std::nullopt;
    names.push_back(sub->get_name());
    listed += (listed.empty() ? "" : ", ") + sub->get_name();
  }
  const auto nearest = cp::nearest_name(names, word);
  return "unknown subcommand '" + word + "'" + (nearest ? " (did you mean '" + *nearest + "'?)" : "") +
         "; subcommands: " + listed;
}

// Before MPI: the commands that need none (version, plan, status, slurm) are
// answered here, and return their exit code; the others get their plan.
std::optional<int> prepare(const Commands& c, Args& args, cp::Plan& plan) {
  if (c.version->parsed()) {
    cp::print_versions(std::cout, args.trainer);
    return 0;
  }
  if (c.analyze->parsed()) {
    cp::check_regular_input(args.study, "activations file");
    if (args.output.empty()) args.output = std::filesystem::path(args.study).replace_extension().string() + "-analysis";
    plan = cp::make_plan(cp::analysis_study(args.output, args.overrides));
  } else if (c.status->parsed() && std::filesystem::is_directory(args.study)) {
    plan = cp::make_plan(cp::recorded_study(args.study, args.overrides));
  } else if (c.slurm->parsed()) {
    auto overrides = args.overrides;
    for (auto& o : slurm_overrides(args)) overrides.push_back(std::move(o));
    plan = cp::make_plan(cp::load_study(args.study, overrides));
    const cp::StudyConfig& st = plan.study;
    const cp::SlurmStudy study{st.study, st.output, st.source_path, st.resolved_yaml, st.slurm};
    cp::slurm_submit(study, cp::submit_context(study, overrides), args.dry_run, std::cout);
    return 0;
  } else {
    plan = cp::make_plan(cp::load_study(args.study, args.overrides));
  }
  if (c.plan->parsed()) {
    cp::print_plan(plan, std::cout);
    return 0;
  }
  if (c.status->parsed()) {
    cp::print_status(plan, std::cout);
    return 0;
  }
  return std::nullopt;
}

// Under MPI: the stages; an error every rank agreed on is reported once, one
// that was not agreed aborts the world (the others may wait for this rank).
int run_under_mpi(const Commands& c, const Args& args, const cp::Plan& plan) {
  const int rank = cp::comm_rank(MPI_COMM_WORLD);
  const int size = cp::comm_size(MPI_COMM_WORLD);
  setup_logging(args.verbose, rank, MPI_COMM_WORLD);
  int code = 0;
  try {
    code = run_stages(c, args, plan, MPI_COMM_WORLD);
  } catch (const std::exception& e) {
    const auto* error = dynamic_cast<const cp::Error*>(&e);
    if (!(error && error->agreed()) && size > 1) cp::abort_world(cp::message_of(e), static_cast<int>(cp::kind_of(e)));
    if (rank == 0) print_error_line("clusterprobe: error: " + cp::message_of(e));
    code = static_cast<int>(cp::kind_of(e));
  }
  // mpirun's exit code is not the ranks' when mpirun itself was signalled
  // (README, "Exit codes"): each rank's own log says how it ended.
  if (code == cp::kExitOutOfTime)
    spdlog::warn("stopped before the end: exit code 75 on this rank; the same command again goes on");
  if (cp::any_of(cp::h5::close_failed(), MPI_COMM_WORLD)) {
    // HDF5 would crash terminating inside MPI_Finalize (hdf5_state.hpp): every
    // rank leaves without it, with the error already reported.
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(code == 0 ? static_cast<int>(cp::ErrorKind::io) : code);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  cp::tune_allocator();
  cp::cli::make_streams_printable();
  CLI::App app{"ClusterProbe " CLUSTERPROBE_VERSION
               ": train networks on coarse labels, cluster their hidden layers, score the fine labels"};
  Args args;
  const Commands c = define_commands(app, args);
  const int pre_rank = launcher_rank();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and usage errors once, not once per rank; a usage error is a configuration error.
    if (const auto unknown = unknown_subcommand(app, argc, argv)) {
      if (pre_rank == 0) print_error_line("clusterprobe: error: " + *unknown);
      return static_cast<int>(cp::ErrorKind::config);
    }
    if (pre_rank == 0) app.exit(e);
    return e.get_exit_code() == 0 ? 0 : static_cast<int>(cp::ErrorKind::config);
  }
  cp::Plan plan;
  try {
    if (const auto done = prepare(c, args, plan)) return *done;
  } catch (const std::exception& e) {
    if (pre_rank == 0) print_error_line("clusterprobe: error: " + cp::message_of(e));
    return static_cast<int>(cp::kind_of(e));
  }
  cp::MpiEnvironment mpi(&argc, &argv);
  cp::install_stop_signals();  // after MPI_Init, which may install handlers of its own
  return run_under_mpi(c, args, plan);
}
