# `status` from a study file or its output directory, without MPI or Slurm:
# complete, pending and failed runs with the failure's message, the writer
# holding the output, and the time left at the measured rate.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" train.epochs=1 > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
(cd / && "$CP_BIN" status "$WORK/out") > "$WORK/s1" || die "status failed"
cat "$WORK/s1"
grep -q "2 runs: 2 complete, 0 running, 0 pending, 0 failed" "$WORK/s1" || die "not 2 complete"
grep -q "time left for one group at the measured rate: 0s" "$WORK/s1" || die "no measured time left"
# One run's file gone: pending. A second command holding the output: named.
rm "$(ls "$WORK"/out/runs/*/activations.h5 | head -1)"
flock "$WORK/out/.clusterprobe.lock" sleep 3 > /dev/null 2>&1 &
holder=$!
sleep 0.5
"$CP_BIN" status "$WORK/study.yaml" train.epochs=1 > "$WORK/s2" || die "status failed"
wait $holder
cat "$WORK/s2"
grep -q "1 complete, 0 running, 1 pending, 0 failed" "$WORK/s2" || die "not 1 pending"
grep -q "^in use by " "$WORK/s2" || die "the holder is not named"
grep -Eq "time left for one group at the measured rate: [0-9]+s" "$WORK/s2" || die "no time left"
# A failed run is named with its message.
write_synthetic_study "$WORK/bad.yaml" "$WORK/bad"
rc=0; "$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/bad.yaml" train.lr=1e30 train.momentum=0 > "$WORK/log2" 2>&1 || rc=$?
[ "$rc" = 5 ] || { cat "$WORK/log2"; die "exit $rc for failed runs, expected 5"; }
"$CP_BIN" status "$WORK/bad" > "$WORK/s3" || die "status failed"
cat "$WORK/s3"
grep -q "0 complete, 0 running, 0 pending, 2 failed" "$WORK/s3" || die "not 2 failed"
grep -q "failed    synthetic/gmm / mlp / batch / seed 0  (diverged: loss is" "$WORK/s3" || die "no failure message"
echo PASS
