# SIGKILL one rank of a 2-rank group (ranks_per_run 2) in the middle of a
# run: the rerun finishes the study, the run completed before the kill is not
# retrained, the interrupted run resumes from its last epoch checkpoint, and
# every HDF5 file opens.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out" "parallel: {ranks_per_run: 2}"
long="train.epochs=20 data.synthetic.train_per_fine=1000 train.checkpoint_every=1"
setsid "$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/study.yaml" $long > "$WORK/log1" 2>&1 &
pid=$!
first="" state=""
for _ in $(seq 1200); do
  first=$(ls "$WORK"/out/runs/*/activations.h5 2>/dev/null | head -1 || true)
  state=$(ls "$WORK"/out/runs/*/train_state.pt 2>/dev/null | head -1 || true)
  [ -n "$first" ] && [ -n "$state" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
[ -n "$first" ] && [ -n "$state" ] || { cat "$WORK/log1"; die "no run completed and checkpointed the next one"; }
# One rank only: the other is left for mpiexec to tear down, as after a node failure.
victim=$(ps -o pid= --ppid $pid | head -1 | tr -d ' ')
[ -n "$victim" ] || die "no rank process under mpiexec $pid"
kill -9 "$victim"
for _ in $(seq 600); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
kill -9 -- -$pid 2>/dev/null || true  # in case mpiexec did not abort the job by itself
wait $pid 2>/dev/null || true
cat "$WORK/log1"
[ "$(ls "$WORK"/out/runs/*/activations.h5 | wc -l)" = 1 ] || die "the second run finished before the kill: make it longer"
[ ! -e "$WORK/out/study.h5" ] || die "study.h5 written by an interrupted stage"
done_id=$(basename "$(dirname "$first")")
resumed_id=$(basename "$(dirname "$state")")
[ "$done_id" != "$resumed_id" ] || die "the complete run still has a training checkpoint"
before=$(stat -c %Y.%s "$first")
sleep 1

"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" $long > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "rerun failed"; }
cat "$WORK/log2"
[ "$(grep -c "run $done_id is complete: skipped" "$WORK/log2")" = 1 ] || die "the complete run was not skipped exactly once"
[ "$(stat -c %Y.%s "$first")" = "$before" ] || die "the complete run was rewritten"
grep -Eq "run $done_id [^ ]+ epoch [0-9]+/20:" "$WORK/log2" && die "the complete run was retrained"
grep -Eq "run $resumed_id: resuming from checkpoint at epoch [1-9][0-9]*/20" "$WORK/log2" \
  || die "the interrupted run did not resume from its checkpoint"
grep -q "run $resumed_id [^ ]* epoch 1/20:" "$WORK/log2" && die "the interrupted run started over"
[ ! -e "$WORK/out/runs/$resumed_id/train_state.pt" ] || die "the checkpoint outlived the complete run"
for f in "$WORK"/out/study.h5 "$WORK"/out/metrics.h5 "$WORK"/out/runs/*/activations.h5; do
  h5ls -r "$f" > /dev/null || die "h5ls cannot read $f"
done
ls "$WORK"/out/runs/*/*.tmp 2>/dev/null && die "a tmp file was left behind"
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/out" --layer fc1
