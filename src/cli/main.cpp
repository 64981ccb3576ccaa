// clusterprobe: the command-line front end. Everything it does lives in the
// core library; this file parses arguments, validates the study file before
// MPI starts (so every rank fails the same way, early) and maps errors to
// exit codes.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "clusterprobe/build_config.hpp"
#include "clusterprobe/comm/mpi.hpp"
#include "clusterprobe/common/error.hpp"
#include "clusterprobe/config/study.hpp"
#include "clusterprobe/pipeline/stages.hpp"

namespace {

// The launcher's rank, known before MPI_Init, so only one rank reports a
// configuration error.
int launcher_rank() {
  for (const char* var : {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "SLURM_PROCID"}) {
    if (const char* v = std::getenv(var)) return std::atoi(v);
  }
  return 0;
}

struct Args {
  std::string study;
  std::vector<std::string> overrides;
  std::string output;
  bool verbose = false;
};

void add_study_args(CLI::App* sub, Args& args) {
  sub->add_option("study", args.study, "study file (YAML)")->required()->check(CLI::ExistingFile);
  sub->add_option("overrides", args.overrides, "key=value overrides of study fields, e.g. train.epochs=1");
}

// `analyze` has no study file: its configuration is the defaults plus overrides.
cp::StudyConfig analyze_config(const std::string& out_dir, const std::vector<std::string>& overrides) {
  const std::string yaml = "study: analyze\noutput: \"" + out_dir +
                           "\"\ngrid: {dataset: [synthetic/gmm], architecture: [mlp], normalization: [none]}\n";
  return cp::parse_study(yaml, "analyze", overrides);
}

// EX_TEMPFAIL (sysexits.h): not finished, the same command again goes on.
constexpr int kExitOutOfTime = 75;

void setup_logging(bool verbose, int rank) {
  spdlog::set_pattern("[%H:%M:%S] [rank " + std::to_string(rank) + "] %l: %v");
  spdlog::set_level(verbose ? spdlog::level::debug : spdlog::level::info);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"ClusterProbe " CLUSTERPROBE_VERSION
               ": train networks on coarse labels, cluster their hidden layers, score the fine labels"};
  app.require_subcommand(1);
  Args args;
  app.add_flag("-v,--verbose", args.verbose, "debug logging");
  auto* plan = app.add_subcommand("plan", "print the runs of a study");
  auto* train = app.add_subcommand("train", "train every run not yet complete");
  auto* cluster = app.add_subcommand("cluster", "cluster the stored activations, write metrics.h5/csv");
  auto* report = app.add_subcommand("report", "print the result table, write report.md");
  auto* run = app.add_subcommand("run", "train, cluster and report");
  for (auto* sub : {plan, train, cluster, report, run}) add_study_args(sub, args);
  auto* analyze = app.add_subcommand("analyze", "cluster and report an activations file from anywhere");
  analyze->add_option("file", args.study, "HDF5 file following the activations schema")
      ->required()->check(CLI::ExistingFile);
  analyze->add_option("--output,-o", args.output, "output directory (default: <file>-analysis)");
  analyze->add_option("overrides", args.overrides, "key=value overrides, e.g. cluster.restarts=3");
  CLI11_PARSE(app, argc, argv);

  const int pre_rank = launcher_rank();
  cp::StudyConfig study;
  try {
    if (analyze->parsed()) {
      if (args.output.empty()) args.output = std::filesystem::path(args.study).replace_extension().string() + "-analysis";
      study = analyze_config(args.output, args.overrides);
    } else {
      study = cp::load_study(args.study, args.overrides);
    }
  } catch (const cp::Error& e) {
    if (pre_rank == 0) std::cerr << "clusterprobe: error: " << e.what() << "\n";
    return e.exit_code();
  }
  if (plan->parsed()) {
    cp::print_plan(study, std::cout);
    return 0;
  }

  cp::MpiEnvironment mpi(&argc, &argv);
  const int rank = cp::comm_rank(MPI_COMM_WORLD);
  setup_logging(args.verbose, rank);
  try {
    if ((train->parsed() || run->parsed()) && cp::train_stage(study, MPI_COMM_WORLD).out_of_time) {
      // Clustering now would overrun the limit too; a job script resubmits on this code.
      return kExitOutOfTime;
    }
    if (cluster->parsed() || run->parsed()) {
      cp::cluster_stage(cp::study_inputs(study), study, study.output, MPI_COMM_WORLD);
    }
    if (analyze->parsed()) {
      cp::cluster_stage({{"analyzed", args.study}}, study, study.output, MPI_COMM_WORLD);
    }
    if (report->parsed() || run->parsed() || analyze->parsed()) {
      cp::report_stage(study.output, MPI_COMM_WORLD, std::cout);
    }
  } catch (const cp::Error& e) {
    // Stage errors are agreed by all ranks before they are thrown: one report suffices.
    if (rank == 0) std::cerr << "clusterprobe: error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cerr << "clusterprobe: internal error on rank " << rank << ": " << e.what() << "\n";
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  return 0;
}
