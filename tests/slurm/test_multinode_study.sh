#!/usr/bin/env bash
# A tiny study across 3 simulated nodes: `clusterprobe slurm --nodes 3
# --ranks-per-node 1` with parallel.ranks_per_run 2, so group 0 (ranks 0 and
# 1) trains its run data-parallel over cp-node1 and cp-node2, through TCP.
# Both jobs complete, and every run trained by a group of the same size as in
# a one-host run of the same study has bit-identical activations; metrics.csv
# is then identical too. A pretraining run's children start from it on
# another node (group 1 is cp-node3 alone). The cluster + report job runs on
# the 3 nodes with --mem: each node works out max_item_memory=auto from
# Slurm's allocation and its own ranks. Then the cluster stage again with a
# limit small enough that every item is clustered by ranks on all 3 nodes
# together: the same metrics as in memory, to 1e-9.
set -euo pipefail
export CP_SLURM_NODES=3
# shellcheck source=tests/slurm/local.sh
source "$(dirname "$0")/local.sh"
cd "$WORK"

write_synthetic_study study.yaml out "parallel: {progress_every: 0, ranks_per_run: 2}"
# One pretraining run (claim 1) and its two children (coarse and fine labels):
# the group that did not claim the parent claims a child and waits for it.
sed -i -e 's/epochs: 2,/epochs: 1, labels: [coarse, fine],/' -e 's/normalization: \[batch, layer\]/normalization: [batch]/' \
       -e 's/  seed: \[0\]/  pretraining: ["fine:synthetic\/gmm"]/' study.yaml
# Submits the study and waits for its jobs; false (jobs cancelled) when the
# train job met Open MPI's start-up crash, which leaves the other ranks waiting.
submit_and_wait() {
  "$CP_BIN" slurm study.yaml --nodes 3 --ranks-per-node 1 --time 10:00 --margin 60 \
    --cluster-nodes 3 --cluster-ranks-per-node 1 --sbatch=--mem=1000 > submit.txt 2>&1 ||
    { cat submit.txt; die "submission failed"; }
  cat submit.txt
  train=$(submitted_id submit.txt train)
  post=$(submitted_id submit.txt report)
  for _ in $(seq 600); do
    queue=$(squeue -h 2> /dev/null) && [ -z "$queue" ] && return 0
    if known_mpi_start_crash out/logs/"$train"/rank-*.out out/slurm/train-*.out; then
      scancel "$train" "$post"
      wait_queue_empty 60
      return 1
    fi
    sleep 0.5
  done
  squeue
  die "jobs still queued after 300 s"
}
if ! submit_and_wait; then
  echo "RETRY: Open MPI 4.1.4's start-up crash over TCP (slurm/README.md); submitting the study once more"
  rm -rf out
  submit_and_wait || die "Open MPI's start-up crash twice in a row"
fi
grep "JobId=$train " "$SLURM_BASE/log/jobcomp.log"
[ "$(final_state "$train")" = COMPLETED ] || { tail -n 30 out/slurm/train-*.out out/logs/"$train"/*; die "train job: $(final_state "$train")"; }
[ "$(final_state "$post")" = COMPLETED ] || { cat out/slurm/post-*.out; die "post job: $(final_state "$post")"; }
grep -q "JobId=$train .*NodeList=cp-node\[1-3\] NodeCnt=3" "$SLURM_BASE/log/jobcomp.log" || die "the train job was not on 3 nodes"
for r in 0 1 2; do [ -f "out/logs/$train/rank-$r.out" ] || die "no log of rank $r"; done
grep -q "train: 3 runs on 3 ranks, 3 trainings: 2 group(s) of up to 2" "out/logs/$train/rank-0.out" || die "not 2 groups on 3 ranks"
{ [ -f out/metrics.csv ] && [ -f out/report/index.html ]; } || die "no metrics.csv or report"
"$CP_BIN" status out | grep -q "3 complete, 0 running, 0 pending, 0 failed" || die "status: not complete"
# auto, per node: Slurm's 1000 MiB over that node's one rank.
for n in 1 2 3; do
  grep -q "on cp-node$n\] info: cluster: max_item_memory auto on this node: half of 1000 MiB (SLURM_MEM_PER_NODE) over its 1 rank(s) = 500 MiB" \
    out/logs/"$post"/rank-*.out || { cat out/logs/"$post"/rank-*.out; die "cp-node$n did not work out auto from its own allocation"; }
done
# The children of the pretraining run: at least one trained by the other group,
# on other nodes (group 0: cp-node1 and cp-node2; group 1: cp-node3).
"$CP_BIN" plan study.yaml | awk 'NR > 2 && $10 != "-" { print $1, $10 }' > children.txt
[ "$(wc -l < children.txt)" = 2 ] || die "expected 2 runs with a pretraining run"
group_of() { sed -n "s/.*group \([0-9]*\) claimed run $1 .*/\1/p" out/logs/"$train"/rank-*.out | head -n 1; }
moved=0
while read -r child parent; do
  echo "run $child (group $(group_of "$child")) starts from run $parent (group $(group_of "$parent"))"
  [ "$(group_of "$child")" != "$(group_of "$parent")" ] && moved=1
done < children.txt
[ "$moved" = 1 ] || die "no child trained on another node than its pretraining run"

# The same study on one host, shared memory only.
one_host "$MPIEXEC" -n 3 "$CP_BIN" run study.yaml output=reference > reference.log 2>&1 ||
  { cat reference.log; die "the one-host reference failed"; }
# Which group trained which run: the claims race, and a run trained by 2 ranks
# (batch statistics per rank) differs from one trained by 1.
claims() { sed -n 's/.*group \([0-9]*\) claimed run \([0-9a-f]*\).*/\2 \1/p' "$@" | sort; }
claims out/logs/"$train"/rank-*.out > nodes.claims
claims reference.log > host.claims
paste nodes.claims host.claims
"$CP_PYTHON" - out reference nodes.claims host.claims <<'PY' || die "the 3-node study differs from the one-host study"
import csv, sys
import h5py, numpy as np
out, ref = sys.argv[1], sys.argv[2]
groups = [dict(line.split() for line in open(f)) for f in sys.argv[3:5]]
same = [run for run, g in groups[0].items() if groups[1].get(run) == g]
for run in same:
    with h5py.File(f"{out}/runs/{run}/activations.h5") as fa, h5py.File(f"{ref}/runs/{run}/activations.h5") as fb:
        for epoch in (k for k in fb if k.startswith("epoch_")):
            for layer in fb[epoch]:
                assert np.array_equal(fa[epoch][layer][:], fb[epoch][layer][:]), (run, epoch, layer)
    print(f"run {run} (group {groups[0][run]} in both): activations bit-identical")
if len(same) == len(groups[0]):
    assert list(csv.reader(open(f"{out}/metrics.csv"))) == list(csv.reader(open(f"{ref}/metrics.csv")))
    print("metrics.csv identical")
else:
    print(f"{len(groups[0]) - len(same)} run(s) trained by groups of other sizes: not compared")
PY

# Distributed items across the nodes: every item above 1 KiB, so all 3 ranks
# (one per node) cluster each one together.
cp -r out spread
srun -N 3 --ntasks-per-node=1 --mpi=pmix "$CP_BIN" cluster study.yaml output=spread cluster.max_item_memory=1KiB \
  > spread.log 2>&1 || { cat spread.log; die "the cluster stage across 3 nodes failed"; }
grep -q "across ranks, in 1 group(s) of 3 ranks" spread.log || { cat spread.log; die "the items were not clustered across the 3 nodes"; }
"$CP_PYTHON" - out/metrics.csv spread/metrics.csv <<'PY' || die "items clustered across nodes differ from in memory"
import csv, math, sys
a, b = (list(csv.DictReader(open(p))) for p in sys.argv[1:])
assert len(a) == len(b) and a, (len(a), len(b))
n = 0
for ra, rb in zip(a, b):
    for k, v in ra.items():
        try:
            x, y = float(v), float(rb[k])
        except ValueError:
            assert v == rb[k], (k, v, rb[k])
            continue
        assert (math.isnan(x) and math.isnan(y)) or abs(x - y) <= 1e-9 * max(1.0, abs(x)), (k, x, y)
        n += 1
print(f"{len(a)} rows, {n} values: items clustered across 3 nodes equal in-memory ones to 1e-9")
PY
echo PASS
