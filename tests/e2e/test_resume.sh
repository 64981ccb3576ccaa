# A study killed (SIGKILL) in the middle of a run leaves no file that claims to
# be complete; rerunning the stage trains only what is missing and finishes.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
long="train.epochs=30 data.synthetic.train_per_fine=2000"
setsid "$MPIEXEC" -n 1 "$CP_BIN" train "$WORK/study.yaml" $long > "$WORK/log1" 2>&1 &
pid=$!
first=""
for _ in $(seq 600); do
  first=$(ls "$WORK"/out/runs/*/activations.h5 2>/dev/null | head -1 || true)
  [ -n "$first" ] && break
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
[ -n "$first" ] || { cat "$WORK/log1"; die "the first run never completed"; }
kill -9 -- -$pid 2>/dev/null || true
wait $pid 2>/dev/null || true
cat "$WORK/log1"
[ "$(ls "$WORK"/out/runs/*/activations.h5 | wc -l)" = 1 ] || die "the second run finished before the kill: make it longer"
[ ! -e "$WORK/out/study.h5" ] || die "study.h5 written by an interrupted stage"
for tmp in "$WORK"/out/runs/*/activations.h5.tmp; do
  [ -e "$tmp" ] || continue
  # A killed writer may leave a file HDF5 cannot even open: that is fine too.
  "$CP_PYTHON" - "$tmp" <<'PY' || die "$tmp claims to be complete"
import sys, h5py
try:
    f = h5py.File(sys.argv[1], "r")
except OSError:
    sys.exit(0)
sys.exit(int(f.attrs.get("complete", 0)))
PY
done
before=$(stat -c %Y.%s "$first")
sleep 1
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" $long > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "rerun failed"; }
cat "$WORK/log2"
[ "$(grep -c 'complete: skipped' "$WORK/log2")" = 1 ] || die "the complete run was not skipped exactly once"
[ "$(stat -c %Y.%s "$first")" = "$before" ] || die "the complete run was rewritten"
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/out" --layer fc2
