# `clusterprobe analyze` on a file written by another tool (h5py, int64
# labels, float64 activations, no attributes), and one clear error for a file
# that lacks the required labels.
source "$(dirname "$0")/common.sh"
"$CP_PYTHON" - "$WORK/foreign.h5" "$WORK/broken.h5" <<'PY'
import sys
import h5py
import numpy as np
rng = np.random.default_rng(0)
fine = np.repeat(np.arange(6), 50)
coarse = fine // 2
centres = rng.normal(size=(6, 16)) * 10
x = centres[fine] + rng.normal(size=(fine.size, 16))
with h5py.File(sys.argv[1], "w") as f:
    f["labels/fine"] = fine.astype(np.int64)
    f["labels/coarse"] = coarse.astype(np.int64)
    f["epoch_3/features"] = x
with h5py.File(sys.argv[2], "w") as f:
    f["labels/coarse"] = coarse.astype(np.int64)
    f["epoch_3/features"] = x
PY
"$MPIEXEC" -n 2 "$CP_BIN" analyze "$WORK/foreign.h5" -o "$WORK/an" cluster.restarts=2 > "$WORK/log" 2>&1 \
  || { cat "$WORK/log"; die "analyze failed"; }
cat "$WORK/log"
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/an" --no-study \
  --source "analyzed=$WORK/foreign.h5" --layer features --min-ami 0.9

set +e
"$MPIEXEC" -n 2 "$CP_BIN" analyze "$WORK/broken.h5" -o "$WORK/bad" > "$WORK/bad.log" 2>&1
rc=$?
set -e
cat "$WORK/bad.log"
[ $rc -ne 0 ] || die "a file without /labels/fine was accepted"
grep -q "broken.h5" "$WORK/bad.log" || die "the error does not name the file"
grep -q "labels/fine" "$WORK/bad.log" || die "the error does not name the missing dataset"
[ ! -e "$WORK/bad/metrics.h5" ] || die "metrics.h5 written for a bad input"
