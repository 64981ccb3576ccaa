# The whole pipeline under mpiexec -n 2 on a well-separated synthetic
# hierarchy: files readable by h5py/h5ls, AMIs equal to scikit-learn's on the
# stored assignments, and the first hidden layer recovers the subclasses
# (the penultimate one collapses them once the coarse task is solved).
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
cat "$WORK/log"
grep -q "best layer" "$WORK/log" || die "no result table printed"
for f in "$WORK"/out/study.h5 "$WORK"/out/metrics.h5 "$WORK"/out/runs/*/activations.h5; do
  h5ls -r "$f" > /dev/null || die "h5ls cannot read $f"
done
[ "$(ls "$WORK"/out/runs | wc -l)" = 2 ] || die "expected 2 run directories"
ls "$WORK"/out/runs/*/activations.h5.tmp 2>/dev/null && die "a tmp file was left behind"
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/out" --layer fc1 --min-ami 0.9
# The penultimate probe point comes from the run files (attribute), through metrics.h5, into the report.
"$CP_PYTHON" - "$WORK/out/metrics.h5" <<'PY' || die "metrics.h5 does not record the penultimate layer"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    layers = [v.decode() for v in f["penultimate/layer"][:]]
assert layers == ["fc2", "fc2"], layers
PY
"$CP_PYTHON" - "$WORK/out/report.md" <<'PY' || die "the report's penultimate column is empty"
import sys
rows = [l.split("|")[1:-1] for l in open(sys.argv[1]) if l.startswith("|")]
header = [c.strip() for c in rows[0]]
col = header.index("penult. AMI*")
values = [r[col].strip() for r in rows[2:] if len(r) == len(header)][:2]
assert len(values) == 2 and "-" not in values, values
PY
