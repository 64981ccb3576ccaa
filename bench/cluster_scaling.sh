#!/usr/bin/env bash
# The cluster stage on one synthetic layer as it grows: wall time and peak
# resident memory per rank, in-memory path (cluster.max_item_memory large:
# one rank clusters the item) against the distributed path (tiny: every rank
# holds its block of rows), on 1, 2 and 4 ranks. Prints a Markdown table.
#   bench/cluster_scaling.sh [build dir] ["ROWSxCOLS ..."] ["RANKS ..."]
# k-means only (restarts 1, 20 iterations) with ami: the cost the path
# changes; 10 fine classes in 2 superclasses. METRICS and PREPROCESS
# (study-file lists) widen it, e.g. METRICS="[ami, nc1, selectivity, silhouette]"
# PREPROCESS="[whiten]".
set -euo pipefail
build=${1:-build}; shapes=${2:-"10000x512 100000x512 1000000x512 100000x8192"}; ranks=${3:-"1 2 4"}
dir=${SCRATCH:-/tmp/cp-cluster-scaling}
source "$(dirname "$0")/../scripts/mpi_env.sh"
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
echo "| rows x cols | float32 MB | ranks | path | wall s | peak RSS per rank MB (max) | peak RSS MB (each rank) |"
echo "|---|---:|---:|---|---:|---:|---|"
for shape in $shapes; do
  rows=${shape%x*}; cols=${shape#*x}
  /usr/bin/python3 - "$dir/layer.h5" "$rows" "$cols" <<'PY'
import sys
import h5py, numpy as np
path, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
fine = rng.integers(0, 10, n).astype(np.int32)
centres = rng.normal(0, 3, (10, d)).astype(np.float32)
with h5py.File(path, "w") as f:
    f["labels/fine"] = fine
    f["labels/coarse"] = (fine // 5).astype(np.int32)
    x = f.create_dataset("epoch_1/layer", (n, d), dtype=np.float32)
    step = max(1, (1 << 27) // (4 * d))
    for s in range(0, n, step):
        e = min(n, s + step)
        x[s:e] = centres[fine[s:e]] + rng.standard_normal((e - s, d), dtype=np.float32)
    f.attrs["complete"] = 1
PY
  for np_ in $ranks; do
    for path in in-memory distributed; do
      limit=1TiB; [ "$path" = distributed ] && limit=1KiB
      rm -rf "$dir/out"
      start=$(date +%s.%N)
      rm -f "$dir"/rss.*
      # Each rank's peak into a file of its own: lines on the shared log can interleave.
      mpiexec -n "$np_" --oversubscribe --bind-to none \
        sh -c 'exec /usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f %M "$@"' "$dir/rss" "$build/clusterprobe" analyze \
        "$dir/layer.h5" -o "$dir/out" "cluster.max_item_memory=$limit" "metrics=${METRICS:-[ami]}" \
        "cluster.preprocess=${PREPROCESS:-[]}" cluster.restarts=1 \
        cluster.max_iter=20 parallel.progress_every=0 > "$dir/log" 2>&1 || { tail "$dir/log"; exit 1; }
      end=$(date +%s.%N)
      rss=$(for r in $(seq 0 $(( np_ - 1 ))); do tail -n 1 "$dir/rss.$r"; done | awk '{ printf "%s%d", sep, $1 / 1024; sep = " " }')
      max=$(tr ' ' '\n' <<< "$rss" | sort -n | tail -1)
      printf "| %s x %s | %d | %d | %s | %.1f | %s | %s |\n" "$rows" "$cols" $(( rows * cols * 4 / 1000000 )) \
        "$np_" "$path" "$(echo "$end - $start" | bc)" "$max" "$rss"
    done
  done
done
