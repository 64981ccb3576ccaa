# `status OUTPUT` while the first `train` of a study is under way (no study.h5
# yet): it plans from the resolved study the train stage recorded, shows the
# command that holds the output and the run that trains, exit 0 (it used to
# say "nothing trained there yet", exit 3).
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out" "parallel: {progress_every: 0}"
sed -i -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 12,/' "$WORK/study.yaml"
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/study.yaml" > "$WORK/log" 2>&1 &
pid=$!
for _ in $(seq 1200); do grep -q "epoch 2/12 step" "$WORK/log" && break; sleep 0.05; done
grep -q "epoch 2/12 step" "$WORK/log" || { cat "$WORK/log"; die "training did not start"; }
[ ! -e "$WORK/out/study.h5" ] || die "study.h5 exists already: not a first training"
rc=0
"$CP_BIN" status "$WORK/out" > "$WORK/status" 2>&1 || rc=$?
kill -TERM $pid 2> /dev/null
wait $pid || true
cat "$WORK/status"
[ "$rc" = 0 ] || die "status exited $rc during the first train"
grep -q "in use by host=" "$WORK/status" || die "status does not name the command holding the output"
grep -qE "^[0-9a-f]{16} +running" "$WORK/status" || die "status shows no run as running"
echo PASS
