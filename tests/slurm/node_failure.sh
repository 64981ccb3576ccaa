# Shared by test_multinode_node_dies.sh and test_multinode_partition.sh: a
# 3-node study (one rank per node, one rank per run, so where a run trains does
# not change a bit of it) loses cp-node3 while that node trains a run.
# $FAILURE: kill-node (everything on it dies, its port goes dark) or partition
# (its port goes dark, its processes live on, cut off). Expected: Slurm marks
# the node DOWN after SlurmdTimeout, ends the job step (not the job: the
# script asks --no-kill), and the script starts the ranks again on the two
# nodes left; the run that was on cp-node3 resumes from its last epoch
# checkpoint, no complete run is trained again, both jobs complete, and every
# run's activations and metrics.csv equal, bit for bit, a one-host run of the
# same study. The timeline goes into the test's output.
set -euo pipefail
: "${FAILURE:?kill-node or partition}"
export CP_SLURM_NODES=3
# shellcheck source=tests/slurm/local.sh
source "$(dirname "${BASH_SOURCE[0]}")/local.sh"
cd "$WORK"

write_synthetic_study study.yaml out "parallel: {progress_every: 60, ranks_per_run: 1}"
sed -i -e 's/epochs: 2,/epochs: 30, checkpoint_every: 1,/' -e 's/train_per_fine: 200/train_per_fine: 5000/' \
       -e 's/  seed: \[0\]/  seed: [0, 1]/' study.yaml
t0=$(date +%s%N)
at() { local ms=$(( ($(date +%s%N) - t0) / 1000000 )); printf '%4d.%d s' $(( ms / 1000 )) $(( ms % 1000 / 100 )); }
submit() {
  "$CP_BIN" slurm study.yaml --nodes 3 --ranks-per-node 1 --time 10:00 --margin 60 > submit.txt 2>&1 ||
    { cat submit.txt; die "submission failed"; }
  train=$(submitted_id submit.txt train)
  post=$(submitted_id submit.txt report)
  grep -q -- "--no-kill" out/slurm/train.sbatch || die "a 3-node train job without --no-kill"
  # cp-node3 is rank 2 (srun's block distribution); it logs its run's epochs.
  for _ in $(seq 1200); do
    grep -qs "epoch 3/30" out/logs/"$train"/rank-2.out && return 0
    if known_mpi_start_crash out/logs/"$train"/rank-*.out out/slurm/train-*.out; then
      scancel "$train" "$post"
      wait_queue_empty 60
      return 1
    fi
    sleep 0.1
  done
  cat out/logs/"$train"/rank-*.out
  die "cp-node3 did not reach epoch 3 in 120 s"
}
if ! submit; then
  echo "RETRY: Open MPI 4.1.4's start-up crash over TCP (slurm/README.md); submitting the study once more"
  rm -rf out
  submit || die "Open MPI's start-up crash twice in a row"
fi
victim=$(sed -n 's/.*\[rank 2 on cp-node3\] info: group [0-9]* claimed run \([0-9a-f]*\).*/\1/p' out/logs/"$train"/rank-2.out | tail -n 1)
[ -n "$victim" ] || die "no run claimed on cp-node3"
echo "timeline ($FAILURE cp-node3 while it trains run $victim):"
echo "  $(at)  submitted; cp-node3 at epoch 3 of run $victim: $FAILURE"
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" "$FAILURE" cp-node3
killed=$(date +%s)
for _ in $(seq 600); do
  scontrol show node cp-node3 | grep -q "State=DOWN" && break
  sleep 0.1
done
scontrol show node cp-node3 | grep -q "State=DOWN" || die "Slurm did not mark cp-node3 DOWN in 60 s"
echo "  $(at)  cp-node3 DOWN (Slurm)"
wait_for_line out/slurm/jobs.tsv "node(s) cp-node3 lost" 60
echo "  $(at)  $(grep -o 'node(s) cp-node3 lost.*node(s)' out/slurm/jobs.tsv)"
bound=$(( $(date +%s) - killed ))
if [ "$FAILURE" = kill-node ]; then
  wait_for_line "out/logs/$train/rank-*.out" "run $victim: resuming from checkpoint at epoch" 120
  echo "  $(at)  $(grep -ho "run $victim: resuming from checkpoint at epoch [0-9]*/30" out/logs/"$train"/rank-*.out)"
fi
wait_queue_empty 300
echo "  $(at)  both jobs done: train $(final_state "$train"), post $(final_state "$post")"
[ "$(final_state "$train")" = COMPLETED ] || { cat out/slurm/train-*.out; die "train job: $(final_state "$train")"; }
[ "$(final_state "$post")" = COMPLETED ] || { cat out/slurm/post-*.out; die "post job: $(final_state "$post")"; }
echo "the job went on ${bound} s after the failure (SlurmdTimeout=15 s: DOWN, then the step ends)"
[ "$bound" -le 90 ] || die "the job waited ${bound} s for a lost node (bound: 90 s)"
cat out/slurm/jobs.tsv

# Every run trained to the end exactly once; the victim resumed, not restarted.
# Cut off (partition), cp-node3's rank lives on: here, unlike on a cluster whose
# network file system goes with the network, it still reaches the files and
# may finish its run, its log lines lost with its connection to srun. The
# victim is then complete when the ranks start again, and skipped.
runs=$("$CP_BIN" plan study.yaml | awk 'NR > 2 {print $1}')
[ "$(echo "$runs" | wc -l)" = 4 ] || die "expected 4 runs"
for id in $runs; do
  n=$(cat out/logs/"$train"/rank-*.out | grep -c "run $id done") || true
  [ "$n" = 1 ] || [ "$FAILURE/$id/$n" = "partition/$victim/0" ] || die "run $id trained to the end $n times"
done
if grep -hq "run $victim is complete: skipped" out/logs/"$train"/rank-*.out; then
  [ "$FAILURE" = partition ] || die "run $victim was complete after its node was killed"
  echo "run $victim: finished by the cut-off rank (the simulation's file system is not cut off), then skipped"
else
  grep -h "run $victim: resuming from checkpoint at epoch [1-9]" out/logs/"$train"/rank-*.out > /dev/null ||
    die "run $victim did not resume from an epoch checkpoint"
fi
"$CP_BIN" status out | grep -q "4 complete, 0 running, 0 pending, 0 failed" || die "status: not complete"

one_host "$MPIEXEC" -n 3 "$CP_BIN" run study.yaml output=reference \
  > reference.log 2>&1 || { cat reference.log; die "the one-host reference failed"; }
"$CP_PYTHON" - out reference $runs <<'PY' || die "the study that lost a node differs from the one-host study"
import csv, sys
import h5py, numpy as np
out, ref, runs = sys.argv[1], sys.argv[2], sys.argv[3:]
for run in runs:
    with h5py.File(f"{out}/runs/{run}/activations.h5") as fa, h5py.File(f"{ref}/runs/{run}/activations.h5") as fb:
        n = 0
        for epoch in (k for k in fb if k.startswith("epoch_")):
            for layer in fb[epoch]:
                assert np.array_equal(fa[epoch][layer][:], fb[epoch][layer][:]), (run, epoch, layer)
                n += 1
        assert fa.attrs["coarse_test_accuracy"] == fb.attrs["coarse_test_accuracy"], run
    print(f"run {run}: {n} matrices bit-identical to the one-host run")
assert list(csv.reader(open(f"{out}/metrics.csv"))) == list(csv.reader(open(f"{ref}/metrics.csv")))
print("metrics.csv identical")
PY
echo PASS
