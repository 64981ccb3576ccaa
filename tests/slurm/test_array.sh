# --array 2: two array tasks (each its own MPI world) train one study
# through its output directory. Every run is claimed by exactly one task;
# task 1 is killed outright (SIGKILL: no checkpoint at the signal, no claim
# released) in mid-run, and task 0 takes its run over once the lease has
# expired, resuming from the last epoch checkpoint. The cluster + report job
# (afterany on the array) then finds every run complete.
source "$(dirname "$0")/local.sh"
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
sed -i -e 's/normalization: \[batch, layer\]/normalization: [batch, layer, group, none]/' \
       -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 40,/' study.yaml
"$CP_BIN" slurm study.yaml --array 2 --time 10:00 --margin 60 --lease 6 > submit.txt 2>&1 ||
  { cat submit.txt; die "submission failed"; }
cat submit.txt
array=$(submitted_id submit.txt train)
post=$(submitted_id submit.txt report)
wait_for_line out/slurm/claims.log "job=${array}_1	claimed" 120
victim=$(awk -F'\t' -v h="job=${array}_1" '$2 ~ h && $3 == "claimed" { print $4; exit }' out/slurm/claims.log)
wait_for_line "out/logs/${array}_1/rank-*.out" "run $victim .*epoch 3/40:" 120
# Every process of task 1 (its rank first, then srun and the batch shell), as
# a node failure would: nothing of it gets to checkpoint or release its claim.
task_pids=()
for env in /proc/[0-9]*/environ; do
  vars=$({ tr '\0' '\n' < "$env"; } 2> /dev/null) || continue
  grep -qx "SLURM_ARRAY_JOB_ID=$array" <<< "$vars" && grep -qx "SLURM_ARRAY_TASK_ID=1" <<< "$vars" || continue
  pid=${env#/proc/}
  task_pids+=("${pid%/environ}")
done
for pid in "${task_pids[@]}"; do [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = clusterprobe ] && kill -KILL "$pid"; done
kill -KILL "${task_pids[@]}" 2> /dev/null || true
wait_queue_empty 300
echo "--- claims.log"
cat out/slurm/claims.log
"$CP_BIN" status out > status.txt || die "status failed"
cat status.txt
grep -q "4 complete, 0 running, 0 pending, 0 failed" status.txt || die "not every run is complete"
"$CP_PYTHON" - out/slurm/claims.log "$victim" "$array" <<'PY' || die "claims: not one claim per run plus one takeover"
import collections, sys
events = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
victim, array = sys.argv[2], sys.argv[3]
claimed = collections.Counter(e[3] for e in events if e[2] == "claimed")
assert len(claimed) == 4 and set(claimed.values()) == {1}, claimed
taken = [e for e in events if e[2] == "took over"]
assert [e[3] for e in taken] == [victim], taken
assert "job=%s_0" % array in taken[0][1], taken
assert any(e[2] == "lease expired" and e[3] == victim for e in events)
print("4 runs claimed once each; run", victim, "taken over by task 0 after its lease expired")
PY
grep -q "resuming from checkpoint at epoch" out/logs/${array}_0/rank-*.out || die "the taken-over run did not resume"
[ "$(cat out/logs/*/rank-*.out | grep -c "done: coarse test accuracy")" = 4 ] || die "not exactly 4 runs trained to the end"
[ "$(final_state "$post")" = COMPLETED ] && [ -f out/metrics.csv ] || die "the cluster + report job: $(final_state "$post")"
echo PASS
