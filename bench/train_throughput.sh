#!/usr/bin/env bash
# Training throughput of the quickstart CNN (Fashion-MNIST, BatchNorm, batch
# 128) in images/s, read from the trainer's per-epoch log line:
#   1 rank x 1 thread, 1 rank x 2 threads, 2 ranks x 1 thread (one group,
#   parallel.ranks_per_run 2: data-parallel, gradients all-reduced over MPI).
# The goal on a 2-core machine: 2 ranks >= 1.7x one rank with one thread.
#
# usage: bench/train_throughput.sh   (env: CP_BIN, SAMPLES, EPOCHS, REPEATS)
# One-rank runs start without mpiexec: OpenMPI binds even `-n 1` to one core,
# which would hide the second thread.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${CP_BIN:-$ROOT/build/clusterprobe}
SAMPLES=${SAMPLES:-19200}   # 150 steps of 128 per epoch
EPOCHS=${EPOCHS:-2}         # the last epoch is reported (the first warms caches up)
REPEATS=${REPEATS:-1}       # best of N: this VM's timings are noisy (+-30%)
[ -x "$BIN" ] || { echo "build first: $BIN not found (set CP_BIN)" >&2; exit 1; }
source "$ROOT/scripts/mpi_env.sh"
source "$ROOT/bench/common.sh"
WORK=$(mktemp -d /tmp/cp-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

STUDY="$ROOT/configs/quickstart.yaml"
COMMON=(grid.dataset=[fmnist/pairs-similar] grid.architecture=[cnn] grid.normalization=[batch]
        train.epochs=$EPOCHS train.max_samples=$SAMPLES extract.max_samples=200 extract.layers=[fc])


measure() {  # name threads ranks
  local best=0 r
  for i in $(seq "$REPEATS"); do
    local out="$WORK/$1-$i" log="$WORK/$1-$i.log"
    if [ "$3" = 1 ]; then
      "$BIN" train "$STUDY" "${COMMON[@]}" output="$out" train.threads="$2" > "$log" 2>&1
    else
      mpiexec -n "$3" --bind-to core "$BIN" train "$STUDY" "${COMMON[@]}" output="$out" \
        train.threads="$2" parallel.ranks_per_run="$3" > "$log" 2>&1
    fi || { cat "$log" >&2; echo "bench: $1 failed" >&2; exit 1; }
    r=$(rate "$log")
    best=$(awk -v a="$best" -v b="$r" 'BEGIN { print (b > a) ? b : a }')
  done
  echo "$best"
}

echo "quickstart CNN, fmnist/pairs-similar, batch norm, $SAMPLES samples x $EPOCHS epochs, batch 128, best of $REPEATS"
one=$(measure r1t1 1 1);  echo "1 rank  x 1 thread : $one images/s"
two=$(measure r1t2 2 1);  echo "1 rank  x 2 threads: $two images/s"
dp=$(measure r2t1 1 2);   echo "2 ranks x 1 thread : $dp images/s (ranks_per_run 2)"
awk -v a="$one" -v b="$two" -v c="$dp" 'BEGIN {
  printf "ratios vs 1 rank x 1 thread: 1x2 threads %.2fx, 2x1 ranks %.2fx (goal >= 1.70x: %s)\n",
         b / a, c / a, (c / a >= 1.7) ? "met" : "not met" }'
