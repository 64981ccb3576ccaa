#include "clusterprobe/slurm/scripts.hpp"

#include <cctype>
#include <cstdio>
#include <ctime>
#include <sstream>

#include "clusterprobe/io/output_layout.hpp"
#include "clusterprobe/slurm/process.hpp"

namespace cp {
namespace {

// Job names appear in squeue's narrow columns and in #SBATCH lines.
std::string job_name(const std::string& stage, const std::string& study) {
  std::string name = "cp-" + stage + "-";
  for (unsigned char c : study) name += std::isalnum(c) || c == '-' || c == '_' || c == '.' ? static_cast<char>(c) : '_';
  return name.substr(0, 64);
}

// sbatch expands %j, %A, ... in --output: a literal % is written %%.
std::string literal_pattern(const std::string& path) {
  std::string escaped;
  for (char c : path) escaped += c == '%' ? std::string("%%") : std::string(1, c);
  return escaped;
}

std::string log_pattern(const std::string& dir, const std::string& name) { return literal_pattern(dir) + "/" + name; }

void sbatch_lines(std::ostringstream& s, const SlurmConfig& cfg, const SlurmResources& r) {
  s << "#SBATCH --nodes=" << r.nodes << "\n#SBATCH --ntasks-per-node=" << r.ranks_per_node
    << "\n#SBATCH --cpus-per-task=" << r.cpus_per_rank << "\n#SBATCH --time=" << r.time << "\n";
  if (r.gpus_per_node > 0) s << "#SBATCH --gpus-per-node=" << r.gpus_per_node << "\n";
  if (!r.partition.empty()) s << "#SBATCH --partition=" << r.partition << "\n";
  if (!cfg.account.empty()) s << "#SBATCH --account=" << cfg.account << "\n";
  if (!cfg.qos.empty()) s << "#SBATCH --qos=" << cfg.qos << "\n";
}

// What both jobs share: the values they run with, the jobs.tsv helpers.
void common_body(std::ostringstream& s, const SlurmStudy& study, const SubmitContext& ctx,
                 const std::vector<std::string>& overrides) {
  const OutputLayout layout(ctx.output);
  for (const auto& extra : study.slurm.sbatch) s << "#SBATCH " << extra << "\n";
  s << "set -u\n"
    << "bin=" << shell_quote(ctx.binary) << "\n"
    << "study=" << shell_quote(ctx.study_file) << "\n"
    << "overrides=(" << shell_words(overrides) << ")\n"
    << "slurm_dir=" << shell_quote(ctx.slurm_dir) << "\n"
    << "token=" << shell_quote(ctx.token) << "\n"
    << "logs=" << shell_quote(layout.logs()) << "\n"
    << "logs_pattern=" << shell_quote(literal_pattern(layout.logs())) << "\n"
    << "jobs=" << shell_quote(layout.jobs_table()) << "\n"
    << "cd -- " << shell_quote(ctx.workdir) << " || exit 4\n"
    << R"SH(task=${SLURM_ARRAY_JOB_ID:+${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID:-}}
task=${task:-$SLURM_JOB_ID}
# Each rank's output in <output>/logs/<job>/ (appended to across requeues).
mkdir -p "$logs/$task"
)SH" << (study.slurm.launcher == "srun"
                 ? "launch=(srun --mpi=pmix --open-mode=append \"--output=$logs_pattern/$task/rank-%t.out\")\n"
                 : "launch=(mpirun --bind-to none --output-filename \"$logs/$task\")\n")
    << R"SH(requeues=$(( ${SLURM_RESTART_COUNT:-0} + ${CP_RESUBMITS:-0} ))
# One line per event: job, stage, event, time (UTC), requeues so far.
note() { printf '%s\t%s\t%s\t%s\t%s\n' "$task" "$stage" "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$requeues" >> "$jobs"; }
# Jobs of this submission (jobs.tsv keeps earlier ones): stage $1, events submitted/resubmitted.
jobs_of() {
  awk -F'\t' -v tok="$token" -v stage="$1" '$1 == "# submission" { cur = ($2 == tok); next }
    cur && $2 == stage && ($3 == "submitted" || $3 ~ /^resubmitted/) { print $1 }' "$jobs"
}
)SH";
}

// A multi-node srun job outlives a node (--no-kill): when the step fails and
// Slurm counts nodes of the job as lost, the ranks start again on the others
// (at most max_requeues times) and resume from their checkpoints.
const char* const kNodeLoss = R"SH(# This job's nodes that Slurm no longer counts as up, comma-separated.
lost_nodes() {
  local n state lost=
  for n in $(scontrol show hostnames "$SLURM_JOB_NODELIST"); do
    state=$(scontrol show node "$n" 2> /dev/null | sed -n 's/.*State=\([^ ]*\).*/\1/p')
    case $state in
      *DOWN* | *FAIL* | *DRAIN* | *NOT_RESPONDING* | "") lost=${lost:+$lost,}$n ;;
    esac
  done
  echo "$lost"
}
relaunches=0
go_on_without_lost_nodes() {
  local lost left
  lost=$(lost_nodes)
  [ -n "$lost" ] || return 1
  left=$(( SLURM_JOB_NUM_NODES - $(tr ',' '\n' <<< "$lost" | wc -l) ))
  if [ "$left" -lt 1 ] || [ "$relaunches" -ge "$max_requeues" ]; then return 1; fi
  relaunches=$(( relaunches + 1 ))
  note "node(s) $lost lost (exit $rc): going on on $left node(s)"
  place=(--nodes="$left" --ntasks=$(( left * ${SLURM_NTASKS_PER_NODE:-1} )) --exclude="$lost")
}
)SH";

// After exit 75: requeue (or submit again, and point the cluster job at the
// new job), unless slurm.max_requeues is reached.
const char* const kRequeueOrResubmit = R"SH(if [ "$requeues" -ge "$max_requeues" ]; then
  note "stopped (exit 75): slurm.max_requeues ($max_requeues) reached$(cancel_post)"
  exit 75
fi
# Noted first: a requeue ends this instance at once. Exiting before it would count as a failure.
note "requeueing (exit 75)"
if scontrol requeue "$task" 2> /dev/null; then
  sleep 600 & wait $!
  exit 75
fi
note "requeue refused by Slurm"
# Requeue disabled here: the same job under a new id, which the cluster job then
# follows. This job's Slurm variables must not leak into it (sbatch exports all).
if ! new=$(env -u SLURM_RESTART_COUNT -u SLURM_ARRAY_JOB_ID -u SLURM_ARRAY_TASK_ID \
             CP_RESUBMITS=$(( ${CP_RESUBMITS:-0} + 1 )) "${resubmit[@]}"); then
  note "stopped (exit 75): neither requeue nor resubmission worked$(cancel_post)"
  exit 75
fi
new=${new%%;*}
prev=$task; task=$new; requeues=$(( requeues + 1 ))
note "resubmitted (after $prev)"
task=$prev
deps=$new
[ "$dependency" = afterany ] && deps=$(jobs_of train | paste -sd: -)
for p in $(jobs_of post); do scontrol update JobId="$p" Dependency="$dependency:$deps"; done
exit 75
)SH";

// `resubmit`: the sbatch options of a resubmission (the train job's, as one job).
std::string train_text(const SlurmStudy& study, const SubmitContext& ctx, const std::vector<std::string>& resubmit) {
  const SlurmConfig& cfg = study.slurm;
  const bool array = cfg.array > 0;
  std::vector<std::string> overrides = ctx.overrides;
  char hours[32];
  std::snprintf(hours, sizeof hours, "%.6f", train_max_hours(study));
  overrides.push_back(std::string("parallel.max_hours=") + hours);
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# The train job of study " << study.name << ", written by `clusterprobe slurm`.\n"
    << "# Exit 75 (a stop signal, or the time limit near): requeue, or submit again, and\n"
    << "# go on from the checkpoints. Any other failure cancels the cluster + report job.\n";
  sbatch_lines(s, cfg, cfg.train);
  s << "#SBATCH --signal=B:USR1@" << cfg.margin << "\n"
    << "#SBATCH " << (cfg.requeue ? "--requeue" : "--no-requeue") << "\n#SBATCH --open-mode=append\n";
  // Several nodes under srun: a node that dies ends the step on it, not the
  // job, and the script goes on on the nodes left (slurm/README.md, "A node that dies").
  const bool survive_nodes = cfg.train.nodes > 1 && cfg.launcher == "srun";
  if (survive_nodes) s << "#SBATCH --no-kill\n";
  common_body(s, study, ctx, overrides);
  s << "stage=train\nmax_requeues=" << cfg.max_requeues << "\n"
    << "resubmit=(sbatch " << shell_words(resubmit) << " " << shell_quote(ctx.slurm_dir + "/train.sbatch") << ")\n"
    << "cooperate=(" << (array ? "--cooperate \"$token\"" : "") << ")\n"
    << "dependency=" << (array ? "afterany" : "afterok") << "\n"
    << R"SH(# A failed train job takes its cluster job with it. Array tasks do not: the
# others take their runs over, and the cluster job reports what failed.
cancel_post() {
  [ "$dependency" = afterok ] || return 0
  local p
  for p in $(jobs_of post); do scancel "$p" 2> /dev/null; done
  echo "; cluster job cancelled"
}

note started
)SH" << (survive_nodes ? kNodeLoss : "") << R"SH(
# Slurm's warning before the limit (B:USR1) and a preemption's TERM reach this
# shell: every rank then stops at its next step with a checkpoint (exit 75).
trap 'kill -USR1 "$pid" 2> /dev/null' USR1 TERM
place=()
while :; do
  "${launch[@]}" "${place[@]}" "$bin" train "$study" "${overrides[@]}" "${cooperate[@]}" &
  pid=$!
  rc=0
  wait "$pid" || rc=$?
  # A trapped signal interrupts wait: wait again for the real exit code.
  while kill -0 "$pid" 2> /dev/null; do rc=0; wait "$pid" || rc=$?; done
  [ "$rc" != 0 ] && [ "$rc" != 75 ] && declare -F go_on_without_lost_nodes > /dev/null && go_on_without_lost_nodes || break
done
trap - USR1 TERM
if [ "$rc" = 0 ]; then note "finished (exit 0)"; exit 0; fi
if [ "$rc" != 75 ]; then
  note "failed (exit $rc)$(cancel_post); see clusterprobe status"
  exit "$rc"
fi
)SH" << kRequeueOrResubmit;
  return s.str();
}

std::string post_text(const SlurmStudy& study, const SubmitContext& ctx) {
  const SlurmConfig& cfg = study.slurm;
  SlurmResources r = cfg.cluster;
  if (r.ranks_per_node == 0) r.ranks_per_node = cfg.train.ranks_per_node;
  if (r.cpus_per_rank == 0) r.cpus_per_rank = cfg.train.cpus_per_rank;
  if (r.time.empty()) r.time = cfg.train.time;
  if (r.partition.empty()) r.partition = cfg.train.partition;
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# The cluster + report job of study " << study.name << ", written by `clusterprobe slurm`;\n"
    << "# it starts when the train job " << (cfg.array > 0 ? "array has ended" : "has succeeded") << ".\n";
  sbatch_lines(s, cfg, r);
  s << "#SBATCH --open-mode=append\n";
  common_body(s, study, ctx, ctx.overrides);
  s << R"SH(stage=post
note started
rc=0
"${launch[@]}" "$bin" cluster "$study" "${overrides[@]}" || rc=$?
# 5: finished with failed items, which the report lists.
if [ "$rc" = 0 ] || [ "$rc" = 5 ]; then
  report_rc=0
  "${launch[@]}" "$bin" report "$study" "${overrides[@]}" || report_rc=$?
  [ "$report_rc" = 0 ] || rc=$report_rc
fi
note "finished (exit $rc)"
exit "$rc"
)SH";
  return s.str();
}

}  // namespace

double train_max_hours(const SlurmStudy& study) {
  return static_cast<double>(slurm_time_seconds(study.slurm.train.time) - study.slurm.margin) / 3600.0;
}

JobScript train_job(const SlurmStudy& study, const SubmitContext& ctx) {
  JobScript job;
  job.stage = "train";
  job.path = ctx.slurm_dir + "/train.sbatch";
  const std::vector<std::string> single{"--parsable", "--job-name=" + job_name("train", study.name),
                                        "--output=" + log_pattern(ctx.slurm_dir, "train-%j.out"),
                                        "--chdir=" + ctx.workdir};
  job.text = train_text(study, ctx, single);
  job.sbatch_args = single;
  if (study.slurm.array > 0) {
    job.sbatch_args[2] = "--output=" + log_pattern(ctx.slurm_dir, "train-%A_%a.out");
    job.sbatch_args.push_back("--array=0-" + std::to_string(study.slurm.array - 1));
  }
  return job;
}

JobScript post_job(const SlurmStudy& study, const SubmitContext& ctx) {
  JobScript job;
  job.stage = "post";
  job.path = ctx.slurm_dir + "/post.sbatch";
  job.text = post_text(study, ctx);
  job.sbatch_args = {"--parsable", "--job-name=" + job_name("post", study.name),
                     "--output=" + log_pattern(ctx.slurm_dir, "post-%j.out"), "--chdir=" + ctx.workdir};
  return job;
}

}  // namespace cp
