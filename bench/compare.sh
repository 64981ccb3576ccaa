#!/usr/bin/env bash
# Issue 14's comparison in one command: every measurement against its peer,
# run in turn (ours, theirs, ours, theirs, ...) REPEATS times with the same
# thread count, and one table of ratios with their range over the repeats.
# A target holds only if every repeat meets it.
#
#   bench/compare.sh [BUILD_DIR]      (env: REPEATS=3, THREADS=2, QUICK=1 for
#                                      smaller training runs)
# Needs the full build (scripts/test.sh builds it) and the test packages
# (python3-torch, -sklearn, -faiss, -h5py). Takes about 10 minutes on 2 cores;
# it trains the quickstart study first if out/fmnist-quickstart lacks it.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
REPEATS=${REPEATS:-3}
THREADS=${THREADS:-2}
PY=/usr/bin/python3
BIN=$BUILD/clusterprobe
for tool in "$BIN" "$BUILD/bench/kmeans_bench" "$BUILD/bench/activation_io"; do
  [ -x "$tool" ] || { echo "compare.sh: $tool missing: build everything first (scripts/test.sh)" >&2; exit 1; }
done
source scripts/mpi_env.sh
source bench/common.sh
WORK=$(mktemp -d /tmp/cp-compare.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
RESULTS=$WORK/results.jsonl
note() { echo "== $*" >&2; }
SAMPLES=19200; [ "${QUICK:-0}" = 1 ] && SAMPLES=6400

note "k-means against faiss and scikit-learn"
OMP_NUM_THREADS=$THREADS $PY bench/kmeans_vs_peers.py --build "$BUILD" --threads "$THREADS" --repeats "$REPEATS" \
  --json-out "$WORK/kmeans.json" > "$WORK/kmeans.md"
$PY - "$WORK/kmeans.json" >> "$RESULTS" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
def cost(r, init): return r["seconds"] / max(r["iterations"], 1) if init == "given" else r["seconds"]
for case in sorted({r["case"] for r in res}):
    for init, peers in (("given", ("faiss", "sklearn")), ("own", ("faiss",))):
        ours = next(r for r in res if r["case"] == case and r["init"] == init and r["method"] == "ours")
        for peer in peers:
            them = next(r for r in res if r["case"] == case and r["init"] == init and r["method"] == peer)
            what = "per iteration, same start" if init == "given" else "whole clustering, own start"
            print(json.dumps({"what": "k-means %s: time ours / %s (%s)" % (case, peer, what), "target": "<= 0.8",
                              "values": [cost(a, init) / cost(b, init) for a, b in zip(ours["runs"], them["runs"])]}))
PY

note "training against Python PyTorch"
for norm in batch none; do
  for threads in 1 2; do
    $PY bench/train_vs_pytorch.py --bin "$BIN" --arch cnn --norm "$norm" --threads "$threads" \
      --samples "$SAMPLES" --repeats "$REPEATS" > "$WORK/train-$norm-$threads.jsonl"
    $PY - "$WORK/train-$norm-$threads.jsonl" "$norm" "$threads" >> "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({"what": "training, CNN, norm %s, %s thread(s): images/s ours / PyTorch" % (sys.argv[2], sys.argv[3]),
                  "target": ">= 1.3", "values": [r["ratio"] for r in rows],
                  "detail": "ours %s, PyTorch %s" % ([r["ours"] for r in rows], [r["pytorch"] for r in rows])}))
PY
  done
done

note "data-parallel training: 2 ranks x 1 thread against 1 rank x 1 thread"
COMMON=(grid.dataset=[fmnist/pairs-similar] grid.architecture=[cnn] grid.normalization=[batch] train.epochs=2
        train.max_samples=$SAMPLES extract.max_samples=200 extract.layers=[logits] train.threads=1)
dp=()
for i in $(seq "$REPEATS"); do
  OMP_NUM_THREADS=1 "$BIN" train configs/quickstart.yaml "${COMMON[@]}" output="$WORK/one-$i" > "$WORK/one-$i.log" 2>&1
  mpiexec -n 2 --bind-to core "$BIN" train configs/quickstart.yaml "${COMMON[@]}" output="$WORK/two-$i" \
    parallel.ranks_per_run=2 > "$WORK/two-$i.log" 2>&1
  dp+=("$(rate "$WORK/two-$i.log") $(rate "$WORK/one-$i.log")")
done
printf '%s\n' "${dp[@]}" | $PY -c '
import json, sys
pairs = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
print(json.dumps({"what": "data-parallel CNN: images/s 2 ranks x 1 thread / 1 rank x 1 thread", "target": ">= 1.7",
                  "values": [a / b for a, b in pairs], "detail": "2x1 %s, 1x1 %s" % ([a for a, _ in pairs], [b for _, b in pairs])}))' >> "$RESULTS"

note "start-up: analyze of a 2000-row file"
$PY - "$WORK/small.h5" <<'PY'
import sys, h5py, numpy as np
rng = np.random.default_rng(0)
fine = np.repeat(np.arange(10), 200)
with h5py.File(sys.argv[1], "w") as f:
    f["labels/fine"] = fine
    f["labels/coarse"] = fine // 2
    f["epoch_1/features"] = ((rng.normal(size=(10, 64)) * 5)[fine] + rng.normal(size=(fine.size, 64))).astype(np.float32)
PY
secs=() mems=()
for i in $(seq "$REPEATS"); do
  rm -rf "$WORK/small-analysis"
  /usr/bin/time -f "%e %M" -o "$WORK/time" "$BIN" analyze "$WORK/small.h5" cluster.restarts=1 > /dev/null 2>&1
  read -r s m < "$WORK/time"; secs+=("$s"); mems+=("$m")
done
$PY -c '
import json, sys
n = len(sys.argv) // 2
s, m = sys.argv[1:1 + n], sys.argv[1 + n:]
print(json.dumps({"what": "analyze of 2000 rows: seconds", "target": "<= 0.3", "values": [float(x) for x in s]}))
print(json.dumps({"what": "analyze of 2000 rows: peak MB", "target": "<= 60", "values": [int(x) / 1024 for x in m]}))' \
  "${secs[@]}" "${mems[@]}" >> "$RESULTS"

note "cluster stage against h5py + scikit-learn on the quickstart's files"
if "$BIN" plan configs/quickstart.yaml | grep -qE " (todo|redo) "; then
  note "training the quickstart study first"
  mpiexec -n 2 --bind-to none "$BIN" train configs/quickstart.yaml > "$WORK/quickstart.log" 2>&1
fi
$PY bench/cluster_vs_python.py --bin "$BIN" --output out/fmnist-quickstart --threads "$THREADS" \
  --repeats "$REPEATS" > "$WORK/cluster.jsonl"
$PY - "$WORK/cluster.jsonl" >> "$RESULTS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(json.dumps({"what": "cluster stage, %d items, 1 rank x %d threads: Python time / ours" % (rows[0]["items"], rows[0]["threads"]),
                  "target": ">= 4", "values": [r["speedup"] for r in rows],
                  "detail": "ours %s s, Python %s s" % ([r["ours_s"] for r in rows], [r["python_s"] for r in rows])}))
PY

note "activation files against dd"
io=()
for i in $(seq "$REPEATS"); do
  dw=$(dd if=/dev/zero of="$WORK/dd.bin" bs=1M count=195 conv=fdatasync 2>&1 | dd_rate)
  sync; { echo 3 > /proc/sys/vm/drop_caches; } 2> /dev/null || true
  dr=$(dd if="$WORK/dd.bin" of=/dev/null bs=1M 2>&1 | dd_rate)
  rm -f "$WORK/dd.bin"
  line=$(mpiexec -n 2 --bind-to none "$BUILD/bench/activation_io" --dir "$WORK" --rows 100000 --cols 512 --dtype float32 --deflate 0)
  io+=("$line|$dw|$dr")
done
printf '%s\n' "${io[@]}" | $PY -c '
import json, sys
w, r = [], []
for l in sys.stdin:
    if not l.strip(): continue
    j, dw, dr = l.rsplit("|", 2)
    j = json.loads(j)
    w.append(j["write_file_MBps"] / float(dw)); r.append(j["read_file_MBps"] / float(dr))
print(json.dumps({"what": "activation file write, float32, 2 ranks: MB/s / dd", "target": ">= 0.5", "values": w}))
print(json.dumps({"what": "activation file read, float32, cold: MB/s / dd", "target": ">= 0.5", "values": r}))' >> "$RESULTS"

$PY - "$RESULTS" "$REPEATS" "$THREADS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("ClusterProbe against its peers: %s interleaved repeats, %s threads unless stated" % (sys.argv[2], sys.argv[3]))
print()
print("| measurement | target | every repeat | min | max | met |")
print("|---|---|---|---:|---:|---|")
for r in rows:
    op, bound = r["target"].split()
    bound = float(bound)
    ok = all(v <= bound for v in r["values"]) if op == "<=" else all(v >= bound for v in r["values"])
    print("| %s | %s | %s | %.2f | %.2f | %s |" % (r["what"], r["target"], ", ".join("%.2f" % v for v in r["values"]),
                                              min(r["values"]), max(r["values"]), "yes" if ok else "**no**"))
details = [r for r in rows if "detail" in r]
if details:
    print()
    for r in details:
        print("- %s: %s" % (r["what"], r["detail"]))
PY
