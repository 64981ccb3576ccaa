# parallel.max_hours: past the limit a group claims no run after its first
# (which stops at its first epoch end, so a limit below start-up still makes
# progress), `run` exits 75 (EX_TEMPFAIL) without clustering, study.h5 lists
# every run as pending, and the same command without the limit finishes the study.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
rc=0
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" parallel.max_hours=1e-9 > "$WORK/log1" 2>&1 || rc=$?
cat "$WORK/log1"
[ "$rc" = 75 ] || die "exit code $rc at the wall-time limit, expected 75"
grep -q "wall-time limit (parallel.max_hours" "$WORK/log1" || die "no wall-time message"
[ ! -e "$WORK/out/metrics.csv" ] || die "clustered after the wall-time limit"
! ls "$WORK"/out/runs/*/activations.h5 2>/dev/null || die "a run was trained to its end past the limit"
"$CP_PYTHON" - "$WORK/out/study.h5" <<'PY' || die "study.h5 does not list the runs as pending"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    status = [s.decode() if isinstance(s, bytes) else s for s in f["runs/status"][:]]
assert status == ["pending", "pending"], status
PY
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "rerun failed"; }
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/out" --layer fc2
echo PASS
