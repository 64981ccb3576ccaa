# A train job submitted with `clusterprobe slurm` gets Slurm's warning signal
# in mid-epoch (scancel --batch --signal=USR1: to the batch shell only, as
# --signal=B:USR1@margin does): the script passes it to every rank, they
# checkpoint at the next step, exit 75, and the job requeues itself
# (or, with --no-requeue, submits itself again under a new id). It resumes
# and ends with exactly the activations and metrics of an uninterrupted run,
# and the cluster + report job follows the train job that finished.
#   CP_REQUEUE_MODE=resubmit: the resubmission path.
source "$(dirname "$0")/local.sh"
mode=${CP_REQUEUE_MODE:-requeue}
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
sed -i -e 's/normalization: \[batch, layer\]/normalization: [layer]/' \
       -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 60,/' study.yaml
flags=(--ranks-per-node 2 --time 10:00 --margin 60)
[ "$mode" = resubmit ] && flags+=(--no-requeue)
"$CP_BIN" slurm study.yaml "${flags[@]}" > submit.txt 2>&1 || { cat submit.txt; die "submission failed"; }
train=$(submitted_id submit.txt train)
post=$(submitted_id submit.txt report)
wait_for_line "out/logs/$train/rank-*.out" "epoch 2/60 step" 120
scancel --batch --signal=USR1 "$train" || die "scancel failed"
if [ "$mode" = requeue ]; then
  # Slurm holds a requeued job back until its old credential expires
  # (AuthInfo cred_expire: 120 s by default, 10 s on the local cluster).
  wait_for_line out/slurm/jobs.tsv "requeueing (exit 75)" 120
  final=$train
else
  wait_for_line out/slurm/jobs.tsv "resubmitted (after $train)" 120
  final=$(awk -F'\t' -v t="$train" '$3 == "resubmitted (after " t ")" { print $1 }' out/slurm/jobs.tsv)
fi
wait_queue_empty 300
cat out/slurm/jobs.tsv
grep -q "stopped by a signal in epoch" out/logs/*/rank-*.out || die "not stopped inside an epoch"
grep -q "resuming from checkpoint at epoch" out/logs/*/rank-*.out ||
  { tail -n 40 out/logs/*/rank-*.out out/slurm/*.out 2> /dev/null; ls -la out/runs/*; die "did not resume"; }
grep -q "^$final	train	finished (exit 0)	.*	1$" out/slurm/jobs.tsv || die "the train job did not finish after one requeue"
grep -q "^$post	post	finished (exit 0)" out/slurm/jobs.tsv || die "the cluster + report job did not follow"
[ "$(final_state "$post")" = COMPLETED ] || die "post job: $(final_state "$post")"

"$MPIEXEC" -n 2 "$CP_BIN" run study.yaml output=reference > reference.log 2>&1 || { cat reference.log; die "reference failed"; }
"$CP_PYTHON" - out reference <<'PY' || die "the requeued study differs from the uninterrupted one"
import csv, glob, sys
import h5py, numpy as np
(a,) = glob.glob(sys.argv[1] + "/runs/*/activations.h5")
(b,) = glob.glob(sys.argv[2] + "/runs/*/activations.h5")
with h5py.File(a) as fa, h5py.File(b) as fb:
    assert fa.attrs["coarse_test_accuracy"] == fb.attrs["coarse_test_accuracy"]
    for layer in fb["epoch_60"]:
        assert np.array_equal(fa["epoch_60"][layer][:], fb["epoch_60"][layer][:]), layer
rows = [list(csv.reader(open(d + "/metrics.csv"))) for d in sys.argv[1:]]
assert rows[0] == rows[1], "metrics.csv differs"
print("requeued study equals the uninterrupted one: activations bit for bit,", len(rows[0]) - 1, "metric rows")
PY
# The final parameters themselves: the runs' weight files are the same bytes.
cmp out/runs/*/checkpoint.pt reference/runs/*/checkpoint.pt || die "final parameters differ"
echo "final parameters identical (checkpoint.pt byte for byte, $(stat -c %s reference/runs/*/checkpoint.pt) bytes)"
echo PASS
