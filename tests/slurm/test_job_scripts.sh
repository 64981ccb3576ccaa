# The plain sbatch scripts in jobs/slurm/ on a real single-node Slurm, chained
# as jobs/README.md says (afterok): Slurm's warning signal in mid-training
# (scancel --batch --signal=USR1, as --signal=B:USR1@300 sends it) makes the
# train job checkpoint, exit 75 and requeue itself under the same id; it
# resumes and finishes, and only then the cluster + report job runs to the report.
source "$(dirname "$0")/local.sh"
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
sed -i -e 's/normalization: \[batch, layer\]/normalization: [layer]/' \
       -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 60,/' study.yaml
export CLUSTERPROBE=$CP_BIN
train=$(sbatch --parsable --time=10:00 -o train.out "$CP_SOURCE_DIR/jobs/slurm/train.sbatch" study.yaml) ||
  die "sbatch train failed"
post=$(sbatch --parsable --time=10:00 -o post.out --dependency="afterok:$train" \
         "$CP_SOURCE_DIR/jobs/slurm/cluster_report.sbatch" study.yaml) || die "sbatch cluster_report failed"
wait_for_line train.out "epoch 2/60 step" 120
scancel --batch --signal=USR1 "$train" || die "scancel failed"
wait_for_line train.out "requeueing job $train" 120
wait_queue_empty 300
cat train.out post.out
grep -q "stopped by a signal in epoch" train.out || die "not stopped inside an epoch"
grep -q "resuming from checkpoint at epoch" train.out || die "the requeued job did not resume"
[ "$(final_state "$train")" = COMPLETED ] || die "train job: $(final_state "$train")"
[ "$(final_state "$post")" = COMPLETED ] || die "cluster + report job: $(final_state "$post")"
[ -f out/metrics.csv ] && [ -f out/report/index.html ] || die "no metrics or report"
"$CP_BIN" status out | grep -q "1 complete, 0 running, 0 pending, 0 failed" || die "status does not say complete"
echo PASS
