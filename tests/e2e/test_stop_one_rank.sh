# A stop signal (USR1, TERM) to one rank stops the whole study, not only the
# group that rank is in: with two groups of one rank, USR1 to rank 1 stops its
# run at the next step, and the other group, once its run is done, claims no
# other run. The log says a stop signal stopped training (not the wall-time
# limit), the exit code is 75, and the same command again finishes the study.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out" "parallel: {ranks_per_run: 1, progress_every: 0}"
sed -i -e 's/seed: \[0\]/seed: [0, 1]/' -e 's/train_per_fine: 200/train_per_fine: 1500/' \
       -e 's/epochs: 2,/epochs: 12,/' "$WORK/study.yaml"
runs=$("$CP_BIN" plan "$WORK/study.yaml" | awk 'NR > 2' | wc -l)
[ "$runs" = 4 ] || die "expected 4 runs, the plan has $runs"
rc=0
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/study.yaml" > "$WORK/log1" 2>&1 &
pid=$!
# Both groups are inside their first run's second epoch: 10 epochs from its end.
for _ in $(seq 1200); do
  grep -q '\[rank 0\].*epoch 2/12 step' "$WORK/log1" && grep -q '\[rank 1\].*epoch 2/12 step' "$WORK/log1" && break
  sleep 0.05
done
rank1=""
for p in $(pgrep -f "clusterprobe train $WORK/study.yaml"); do
  tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=1" && rank1=$p
done
[ -n "$rank1" ] || { cat "$WORK/log1"; die "no rank 1 to signal"; }
kill -USR1 "$rank1"
wait $pid || rc=$?
[ "$rc" = 75 ] || { cat "$WORK/log1"; die "exit code $rc after USR1 to rank 1, expected 75"; }
grep -q "a stop signal (USR1 or TERM) stopped training" "$WORK/log1" || { cat "$WORK/log1"; die "the stop is not named a stop signal"; }
if grep -q "wall-time limit" "$WORK/log1"; then cat "$WORK/log1"; die "a stop signal was called the wall-time limit"; fi
claims=$(grep -c "claimed run" "$WORK/log1")
[ "$claims" = 2 ] || { cat "$WORK/log1"; die "$claims runs claimed: a group claimed a run after the stop"; }
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/study.yaml" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "the study did not finish"; }
grep -q "train: 4 of 4 runs complete, 0 failed" "$WORK/log2" || { cat "$WORK/log2"; die "not every run complete"; }
echo PASS
