# SIGUSR1 (Slurm's warning before the time limit; SIGTERM does the same) stops
# every rank at the next training step with a step-level checkpoint and exit
# 75; the same command again resumes inside the epoch and ends with exactly
# the activations and accuracy of a run that was never stopped (2 ranks
# training one run together).
source "$(dirname "$0")/common.sh"
study() {  # output
  write_synthetic_study "$WORK/$1.yaml" "$WORK/$1" \
    "parallel: {ranks_per_run: 2, progress_every: 0}"
  sed -i -e 's/normalization: \[batch, layer\]/normalization: [layer]/' \
         -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 12,/' "$WORK/$1.yaml"
}
study stopped
study reference
rc=0
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/stopped.yaml" > "$WORK/log1" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q "epoch 2/12 step" "$WORK/log1" && break; sleep 0.05; done
pkill -USR1 -f "clusterprobe train $WORK/stopped.yaml" || die "no training process to signal"
wait $pid || rc=$?
[ "$rc" = 75 ] || { cat "$WORK/log1"; die "exit code $rc after SIGUSR1, expected 75"; }
grep -q "stopped by a signal in epoch" "$WORK/log1" || { cat "$WORK/log1"; die "not stopped inside an epoch"; }
grep -q "a stop signal (USR1 or TERM) stopped training" "$WORK/log1" || die "no stop message"
ls "$WORK"/stopped/runs/*/train_state.pt > /dev/null || die "no checkpoint"
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/stopped.yaml" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "resume failed"; }
grep -q "resuming from checkpoint at epoch" "$WORK/log2" || die "did not resume"
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/reference.yaml" > "$WORK/log3" 2>&1 || { cat "$WORK/log3"; die "reference failed"; }
"$CP_PYTHON" - "$WORK/stopped" "$WORK/reference" <<'PY' || die "the resumed run differs from the uninterrupted one"
import glob, sys
import h5py, numpy as np
(a,) = glob.glob(sys.argv[1] + "/runs/*/activations.h5")
(b,) = glob.glob(sys.argv[2] + "/runs/*/activations.h5")
with h5py.File(a) as fa, h5py.File(b) as fb:
    assert fa.attrs["coarse_test_accuracy"] == fb.attrs["coarse_test_accuracy"]
    for layer in fb["epoch_12"]:
        x, y = fa["epoch_12"][layer][:], fb["epoch_12"][layer][:]
        assert np.array_equal(x, y), (layer, np.abs(x - y).max())
print("resumed run equals the uninterrupted one bit for bit at epoch 12")
PY
echo PASS
