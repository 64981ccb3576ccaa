# Progress lines: a study line at the end of every run and inside epochs
# (parallel.progress_every=0: at every step), the cluster stage's items with
# an ETA once one is measured, and no carriage return anywhere (batch logs).
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" parallel.progress_every=0 > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
grep -q "study: 2 of 2 runs done, 0 running, ETA" "$WORK/log" || { cat "$WORK/log"; die "no final study line"; }
grep -Eq "study: [01] of 2 runs done, [12] running, run [0-9a-f]{16} epoch [12]/2 step [0-9]+/[0-9]+, [0-9]+ images/s" "$WORK/log" \
  || { cat "$WORK/log"; die "no progress line inside an epoch"; }
# An ETA from one step is noise (common/eta.hpp: live_eta_seconds): the first step's line has none.
grep -E "epoch 1/2 step 1/" "$WORK/log" | grep -q "ETA" && { cat "$WORK/log"; die "an ETA after one step"; }
for r in 0 1; do
  grep -Eq "cluster: rank $r: ([0-9]+) of its \1 items done \([0-9]+ in all\), ETA 0s" "$WORK/log" || { cat "$WORK/log"; die "rank $r: no final cluster line"; }
done
! grep -q $'\r' "$WORK/log" || die "a carriage return in the log"
echo PASS
