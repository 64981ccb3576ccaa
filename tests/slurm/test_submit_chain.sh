# `clusterprobe slurm` on a real Slurm: a tiny study (2 runs, 1 epoch) whose
# output path holds spaces, a quote, $(...) and backticks goes through the
# train job and the afterok cluster + report job; nothing in the path runs,
# jobs.tsv records both jobs, and `status` shows the runs and the jobs.
source "$(dirname "$0")/local.sh"
cd "$WORK"
out="out dir/it's \$(touch $WORK/PWNED) \`touch $WORK/PWNED2\`"
write_synthetic_study study.yaml "\"$out\"" "parallel: {progress_every: 0}"
sed -i 's/epochs: 2,/epochs: 1,/' study.yaml
"$CP_BIN" slurm study.yaml --ranks-per-node 2 --time 10:00 --margin 60 > submit.txt 2>&1 || { cat submit.txt; die "submission failed"; }
cat submit.txt
train=$(submitted_id submit.txt train)
post=$(submitted_id submit.txt report)
[ -n "$train" ] && [ -n "$post" ] || die "no job ids in the submission's output"
wait_queue_empty 300
[ "$(final_state "$train")" = COMPLETED ] || { cat "$out"/slurm/train-*.out; die "train job: $(final_state "$train")"; }
[ "$(final_state "$post")" = COMPLETED ] || { cat "$out"/slurm/post-*.out; die "post job: $(final_state "$post")"; }
[ ! -e PWNED ] && [ ! -e PWNED2 ] || die "a command in the output path was executed"
[ -f "$out/metrics.csv" ] && [ -f "$out/report/index.html" ] || die "no metrics.csv or report"
for r in 0 1; do
  grep -q "train: 2 runs on 2 ranks" "$out/logs/$train/rank-0.out" && [ -f "$out/logs/$train/rank-$r.out" ] ||
    die "no per-rank log $out/logs/$train/rank-$r.out"
done
grep -q "^$train	train	finished (exit 0)" "$out/slurm/jobs.tsv" || die "jobs.tsv: no finished train job"
grep -q "^$post	post	finished (exit 0)" "$out/slurm/jobs.tsv" || die "jobs.tsv: no finished post job"
"$CP_BIN" status "$out" > status.txt || die "status failed"
cat status.txt
grep -q "2 complete, 0 running, 0 pending, 0 failed" status.txt || die "status: not complete"
grep -q "^  $train *train" status.txt && grep -q "^  $post *post" status.txt || die "status: no jobs"

# A second submission while the first is in the queue is refused naming it.
"$CP_BIN" slurm study.yaml --time 10:00 --margin 60 train.epochs=3 > first.txt 2>&1 || die "resubmission failed"
rc=0
"$CP_BIN" slurm study.yaml --time 10:00 --margin 60 > second.txt 2>&1 || rc=$?
cat second.txt
[ "$rc" = 4 ] || die "a second live submission: exit $rc, expected 4"
# Queued: named from jobs.tsv; already running: named by the output lock it holds.
grep -q "job $(submitted_id first.txt train)\|slurm_job=$(submitted_id first.txt train)" second.txt ||
  die "the refusal does not name the live job"
scancel --full -u root
echo PASS
