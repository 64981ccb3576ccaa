# A study whose runs fail in training (a learning rate that diverges): the
# train job exits 5, its script cancels the cluster + report job (it does not
# pend forever), jobs.tsv says so, and `status` names each failing run and why.
source "$(dirname "$0")/local.sh"
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
"$CP_BIN" slurm study.yaml --time 10:00 --margin 60 train.lr=1e30 train.momentum=0 > submit.txt 2>&1 ||
  { cat submit.txt; die "submission failed"; }
train=$(submitted_id submit.txt train)
post=$(submitted_id submit.txt report)
wait_queue_empty 120
cat out/slurm/jobs.tsv
[ "$(final_state "$train")" = FAILED ] || die "train job: $(final_state "$train"), expected FAILED"
[ "$(final_state "$post")" = CANCELLED ] || die "post job: $(final_state "$post"), expected CANCELLED"
grep -q "^$train	train	failed (exit 5); cluster job cancelled" out/slurm/jobs.tsv || die "jobs.tsv: no failure"
grep -q "^$post	post	started" out/slurm/jobs.tsv && die "the cluster job ran"
"$CP_BIN" status out > status.txt || die "status failed"
cat status.txt
grep -q "0 complete, 0 running, 0 pending, 2 failed" status.txt || die "status: not 2 failed"
[ "$(grep -c "failed .*diverged" status.txt)" = 2 ] || die "status does not name both failing runs and why"
grep -q "^  $train *train .*failed (exit 5); cluster job cancelled" status.txt || die "status: the train job's failure"
echo PASS
