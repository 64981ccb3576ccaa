#!/usr/bin/env bash
# Runs every benchmark once and prints the results (JSON lines and Markdown
# tables). Usage: bench/run.sh [BUILD_DIR] (default: build), from the
# repository root, after `cmake --build BUILD_DIR --target kmeans_bench ami_bench`
# (and metrics_micro when Google Benchmark is installed).
# Every method gets THREADS threads (default 2). Timings on a shared or
# virtual machine vary by tens of percent: repeat before trusting a ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
THREADS=${THREADS:-2}
PY=/usr/bin/python3  # Debian's: numpy, sklearn, faiss (not a pyenv python3 on PATH)
export OMP_NUM_THREADS=$THREADS

for tool in kmeans_bench ami_bench; do
  [[ -x $BUILD/bench/$tool ]] || { echo "missing $BUILD/bench/$tool: build it first" >&2; exit 1; }
done

echo "== AMI, 1M labels, 1000 clusters per side (uniform, then skewed sizes)"
"$BUILD/bench/ami_bench" --n 1000000 --clusters 1000 --repeats 3
"$BUILD/bench/ami_bench" --n 1000000 --clusters 1000 --repeats 3 --skewed

echo "== AMI against scikit-learn"
$PY bench/ami_vs_sklearn.py --build "$BUILD" --threads "$THREADS"

echo "== k-means against faiss and scikit-learn"
$PY bench/kmeans_vs_peers.py --build "$BUILD" --threads "$THREADS"

if [[ -x $BUILD/bench/metrics_micro ]]; then
  echo "== micro-benchmarks"
  "$BUILD/bench/metrics_micro" --benchmark_min_time=0.2
fi
