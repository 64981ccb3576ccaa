#!/usr/bin/env bash
# --array 3 on 3 simulated nodes, one task per node (--exclusive): the node of
# task 2 dies (kill-node) while that task trains a run. Nothing of the task is
# left to release its claim; its lease (10 s) expires and a task on another
# node takes the run over, resuming from its last epoch checkpoint. Slurm
# marks the node DOWN and requeues the dead task, which finds nothing left.
# Every run is trained to the end once, all jobs complete, and every run's
# activations and metrics.csv equal, bit for bit, a one-host run. Before the
# kill, `status` on this host names the node holding each claimed run, and a
# second writer here is refused, naming the holders' node.
set -euo pipefail
export CP_SLURM_NODES=3
# shellcheck source=tests/slurm/local.sh
source "$(dirname "$0")/local.sh"
cd "$WORK"

write_synthetic_study study.yaml out "parallel: {progress_every: 60}"
sed -i -e 's/epochs: 2,/epochs: 30, checkpoint_every: 1,/' -e 's/train_per_fine: 200/train_per_fine: 5000/' \
       -e 's/normalization: \[batch, layer\]/normalization: [batch, layer, group]/' study.yaml
"$CP_BIN" slurm study.yaml --array 3 --time 10:00 --margin 60 --lease 10 --sbatch=--exclusive > submit.txt 2>&1 ||
  { cat submit.txt; die "submission failed"; }
array=$(submitted_id submit.txt train)
post=$(submitted_id submit.txt report)
wait_for_line out/slurm/claims.log "job=${array}_2	claimed" 120
victim=$(awk -F'\t' -v h="job=${array}_2" '$2 ~ h && $3 == "claimed" { print $4; exit }' out/slurm/claims.log)
node=$(squeue -h -j "${array}_2" -o %N)
[ -n "$node" ] || die "task 2 runs nowhere"
grep -q "$node" <<< "$(squeue -h -j "${array}_0,${array}_1" -o %N)" && die "tasks share $node: not one per node"
wait_for_line "out/logs/${array}_2/rank-*.out" "run $victim .*epoch 3/30:" 120
# Identity across hosts: from this host (the controller's), status names the
# node that holds each claimed run, and a second writer is refused naming them.
"$CP_BIN" status out > status.txt
grep -q "running .*held by host=$node pid=[0-9]* job=${array}_2" status.txt ||
  { cat status.txt; die "status on $(hostname) does not show run $victim held on $node"; }
rc=0
"$CP_BIN" train study.yaml > refused.txt 2>&1 || rc=$?
[ "$rc" = 4 ] && grep -q "in use by .*host=cp-node" refused.txt ||
  { cat refused.txt; die "a second writer on $(hostname): exit $rc, expected 4 naming the holders' node"; }
echo "killing $node, where task 2 trains run $victim"
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" kill-node "$node"
wait_queue_empty 300
echo "--- claims.log"
cat out/slurm/claims.log
"$CP_BIN" status out | grep -q "3 complete, 0 running, 0 pending, 0 failed" || die "not every run is complete"
"$CP_PYTHON" - out/slurm/claims.log "$victim" "$array" "$node" <<'PY' || die "claims: not one claim per run plus one takeover on another node"
import collections, sys
events = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
victim, array, node = sys.argv[2:]
claimed = collections.Counter(e[3] for e in events if e[2] == "claimed")
assert len(claimed) == 3 and set(claimed.values()) == {1}, claimed
assert any(e[2] == "lease expired" and e[3] == victim for e in events), "no lease expired"
taken = [e for e in events if e[2] == "took over"]
assert [e[3] for e in taken] == [victim], taken
assert f"job={array}_2" not in taken[0][1] and f"host={node}" not in taken[0][1], taken
print("run", victim, "taken over after its lease expired by", taken[0][1])
PY
[ "$(cat out/logs/*/rank-*.out | grep -c "done: coarse test accuracy")" = 3 ] || die "not exactly 3 runs trained to the end"
grep -hq "run $victim: resuming from checkpoint at epoch [1-9]" out/logs/*/rank-*.out || die "run $victim did not resume"
[ "$(final_state "$post")" = COMPLETED ] || die "the cluster + report job: $(final_state "$post")"

one_host "$MPIEXEC" -n 3 "$CP_BIN" run study.yaml output=reference \
  > reference.log 2>&1 || { cat reference.log; die "the one-host reference failed"; }
"$CP_PYTHON" - out reference <<'PY' || die "the array study that lost a node differs from the one-host study"
import csv, os, sys
import h5py, numpy as np
out, ref = sys.argv[1:]
for run in sorted(os.listdir(f"{ref}/runs")):
    with h5py.File(f"{out}/runs/{run}/activations.h5") as fa, h5py.File(f"{ref}/runs/{run}/activations.h5") as fb:
        for epoch in (k for k in fb if k.startswith("epoch_")):
            for layer in fb[epoch]:
                assert np.array_equal(fa[epoch][layer][:], fb[epoch][layer][:]), (run, epoch, layer)
    print(f"run {run}: bit-identical to the one-host run")
assert list(csv.reader(open(f"{out}/metrics.csv"))) == list(csv.reader(open(f"{ref}/metrics.csv")))
print("metrics.csv identical")
PY
echo PASS
