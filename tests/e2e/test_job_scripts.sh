# The job scripts in jobs/ for clusters without `clusterprobe slurm`: every one
# parses (bash -n), jobs/local.sh runs a study to its report, and the PBS pair
# runs as PBS would run it (PBS_NODEFILE, PBS_O_WORKDIR; a stand-in qsub that
# records what the scripts submit): a train job stopped by its wall-time
# budget HOURS (exit 75) submits itself again, the next one finishes and submits the
# cluster + report job, which writes the metrics and the report. The sbatch
# pair runs under a real Slurm in tests/slurm/test_job_scripts.sh.
source "$(dirname "$0")/common.sh"
jobs="$CP_SOURCE_DIR/jobs"
scripts=$(find "$jobs" -type f \( -name '*.sh' -o -name '*.sbatch' -o -name '*.pbs' \))
[ "$(wc -l <<<"$scripts")" -ge 5 ] || die "job scripts missing: $scripts"
for s in $scripts; do bash -n "$s" || die "$s does not parse"; done
export CLUSTERPROBE=$CP_BIN

write_synthetic_study "$WORK/local.yaml" "$WORK/local-out" "parallel: {progress_every: 0}"
bash "$jobs/local.sh" "$WORK/local.yaml" 2 > "$WORK/local.log" 2>&1 || { cat "$WORK/local.log"; die "jobs/local.sh failed"; }
[ -f "$WORK/local-out/report/index.html" ] || die "jobs/local.sh left no report"

# PBS: a checkout-like working directory whose jobs/ is ours, a node file with
# two slots here, and a qsub that only records the submission.
mkdir -p "$WORK/pbs/bin"
ln -s "$jobs" "$WORK/pbs/jobs"
printf 'localhost\nlocalhost\n' > "$WORK/pbs/nodes"
cat > "$WORK/pbs/bin/qsub" <<'SH'
#!/bin/sh
echo "${CP_RESUBMITS:-0} $*" >> "$PBS_O_WORKDIR/qsub.log"
SH
chmod +x "$WORK/pbs/bin/qsub"
write_synthetic_study "$WORK/pbs/study.yaml" "$WORK/pbs/out" "parallel: {progress_every: 0}"
pbs_job() {  # script [VAR=value...]: runs it as PBS would, in a clean directory
  local script=$1
  shift
  (cd / && env PATH="$WORK/pbs/bin:$PATH" PBS_O_WORKDIR="$WORK/pbs" PBS_NODEFILE="$WORK/pbs/nodes" \
     STUDY=study.yaml OVERRIDES="cluster.restarts=2 train.lr=0.05" "$@" bash "$jobs/pbs/$script")
}
rc=0
pbs_job train.pbs HOURS=0.000001 > "$WORK/pbs/train1.log" 2>&1 || rc=$?
[ "$rc" = 75 ] || { cat "$WORK/pbs/train1.log"; die "a train job out of time exited $rc, not 75"; }
[ "$(cat "$WORK/pbs/qsub.log")" = "1 -V jobs/pbs/train.pbs" ] || die "not submitted again: $(cat "$WORK/pbs/qsub.log")"
grep -q "parallel.max_hours 0.000001" "$WORK/pbs/train1.log" || { cat "$WORK/pbs/train1.log"; die "HOURS did not reach the binary"; }
"$CP_BIN" status "$WORK/pbs/out" | grep -q "0 complete" || die "an out-of-time job completed runs"

pbs_job train.pbs CP_RESUBMITS=1 > "$WORK/pbs/train2.log" 2>&1 || { cat "$WORK/pbs/train2.log"; die "the second train job failed"; }
[ "$(tail -n 1 "$WORK/pbs/qsub.log")" = "1 -V jobs/pbs/cluster_report.pbs" ] || die "no cluster job: $(cat "$WORK/pbs/qsub.log")"
pbs_job cluster_report.pbs > "$WORK/pbs/post.log" 2>&1 || { cat "$WORK/pbs/post.log"; die "the cluster + report job failed"; }
[ -f "$WORK/pbs/out/metrics.csv" ] && [ -f "$WORK/pbs/out/report/index.html" ] || die "no metrics or report"
"$CP_BIN" status "$WORK/pbs/out" | grep -q "2 complete, 0 running, 0 pending, 0 failed" || die "status does not say complete"
echo PASS
