# A real single-node Slurm (slurm/local-cluster.sh): a tiny study submitted
# with sbatch runs through srun --mpi=pmix on 2 ranks to its report; a job
# signalled with USR1 in mid-training (scancel --signal=USR1, which srun passes
# to every rank) exits 75 with a checkpoint, and the next job finishes it.
source "$(dirname "$0")/../e2e/common.sh"
[ "$(id -u)" = 0 ] && command -v slurmctld > /dev/null || { echo "SKIP: needs root and Debian's Slurm"; exit 77; }
# Its own directory outside $WORK (mode 700): munged needs every parent enterable by all.
export SLURM_BASE="/tmp/cp-slurm-$$"
trap 'bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" down; rm -rf "$WORK"' EXIT
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" up || die "the local cluster did not start"
source "$SLURM_BASE/env.sh"

write_synthetic_study "$WORK/study.yaml" "$WORK/out" "parallel: {progress_every: 0}"
sed -i -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 4,/' "$WORK/study.yaml"
job() {  # script path, extra clusterprobe arguments...
  local script=$1
  shift
  {
    echo '#!/bin/bash'
    echo '#SBATCH --ntasks=2 --time=10:00'
    printf 'srun --mpi=pmix %q run %q' "$CP_BIN" "$WORK/study.yaml"
    [ $# = 0 ] || printf ' %q' "$@"
    echo
  } > "$script"
}

# 1. Stopped by USR1 in mid-training: exit 75, a checkpoint.
job "$WORK/first.sh"
id=$(sbatch --parsable -o "$WORK/first.out" "$WORK/first.sh") || die "sbatch failed"
for _ in $(seq 600); do grep -q "epoch 2/4 step" "$WORK/first.out" 2>/dev/null && break; sleep 0.1; done
grep -q "epoch 2/4 step" "$WORK/first.out" || { cat "$WORK/first.out"; die "training did not start"; }
scancel --signal=USR1 "$id" || die "scancel failed"
for _ in $(seq 300); do grep -q "JobId=$id .*JobState=\(FAILED\|COMPLETED\|CANCELLED\)" "$SLURM_BASE/log/jobcomp.log" 2>/dev/null && break; sleep 0.2; done
grep "JobId=$id " "$SLURM_BASE/log/jobcomp.log" | grep -q "ExitCode=75" || { cat "$WORK/first.out"; grep "JobId=$id " "$SLURM_BASE/log/jobcomp.log"; die "the signalled job did not exit 75"; }
grep -q "stopped by a signal in epoch" "$WORK/first.out" || { cat "$WORK/first.out"; die "not stopped inside an epoch"; }
ls "$WORK"/out/runs/*/train_state.pt > /dev/null || die "no checkpoint"

# 2. The next job resumes and finishes the study: metrics, report, exit 0.
job "$WORK/second.sh"
sbatch --wait -o "$WORK/second.out" "$WORK/second.sh" > /dev/null || { cat "$WORK/second.out"; die "the second job failed"; }
grep -q "resuming from checkpoint at epoch" "$WORK/second.out" || { cat "$WORK/second.out"; die "did not resume"; }
[ -f "$WORK/out/metrics.csv" ] && [ -f "$WORK/out/report/index.html" ] || die "no metrics or report"
"$CP_BIN" status "$WORK/out" | grep -q "2 complete, 0 running, 0 pending, 0 failed" || die "status does not say complete"
echo PASS
