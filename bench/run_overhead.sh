#!/usr/bin/env bash
# What a run costs besides its training: the shrunken probing study of issue
# 23 (configs/repro/fmnist-probing.yaml with one architecture and one seed:
# 36 runs over 3 datasets, 3 normalizations and 4 pretrainings, plus their 9
# pretraining runs, 45 in all, over 5 dataset specs) at train.epochs=0 and
# 500 images: no step is taken, and each run still builds its network (a
# child loads its parent's checkpoint), measures its test accuracy, extracts
# its probe points at epoch 0 and writes its files. Prints a Markdown table:
# wall time, runs per second, seconds per run on each rank (wall / runs per
# group) and each rank's peak RSS, for `train` on a new output, `train` again
# on the finished output (every run skipped: the fixed cost of a command), and
# `run` (train, cluster with k-means and AMI only, report) on a new output.
#   bench/run_overhead.sh [build dir] [ranks] [repeats]
# ARCH (default mlp) and SEEDS (default [0]) change the grid.
set -euo pipefail
build=${1:-build}; ranks=${2:-2}; repeats=${3:-3}
dir=${SCRATCH:-/tmp/cp-run-overhead}
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/mpi_env.sh"
rm -rf "$dir"; mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
study=$root/configs/repro/fmnist-probing.yaml
args=(output="$dir/out" "grid.architecture=[${ARCH:-mlp}]" "grid.seed=${SEEDS:-[0]}" train.epochs=0
      train.pretrain_epochs=0 train.max_samples=500 extract.max_samples=500 "extract.epochs=[last]"
      "metrics=[ami]" cluster.restarts=1 parallel.progress_every=0)
runs=$("$build/clusterprobe" plan "$study" "${args[@]}" | sed -n 's/^study [^:]*: \([0-9]*\) runs.*/\1/p')
groups=$ranks

# One command: wall seconds, then each rank's peak RSS in MB.
measure() {
  rm -f "$dir"/rss.*
  local start end
  start=$(date +%s.%N)
  # Each rank's peak into a file of its own: lines on the shared log can interleave.
  mpiexec -n "$ranks" --bind-to none \
    sh -c 'exec /usr/bin/time -o "$0.$OMPI_COMM_WORLD_RANK" -f %M "$@"' "$dir/rss" "$build/clusterprobe" \
    "$@" "$study" "${args[@]}" > "$dir/log" 2>&1 || { tail "$dir/log" >&2; exit 1; }
  end=$(date +%s.%N)
  printf "%s" "$(echo "$end - $start" | bc)"
  for r in $(seq 0 $(( ranks - 1 ))); do printf " %d" $(( $(tail -n 1 "$dir/rss.$r") / 1024 )); done
  echo
}

row() {  # command, wall, rss...
  local what=$1 wall=$2; shift 2
  local per_rank
  per_rank=$(echo "$runs / $groups" | bc -l)
  printf "| %s | %d | %.2f | %.1f | %.3f | %s |\n" "$what" "$runs" "$wall" "$(echo "$runs / $wall" | bc -l)" \
    "$(echo "$wall / $per_rank" | bc -l)" "$(echo "$*" | tr ' ' ',' | sed 's/,/, /g')"
}

echo "| command | runs | wall s | runs/s | s per run per rank | peak RSS MB, each rank |"
echo "|---|---:|---:|---:|---:|---|"
for _ in $(seq "$repeats"); do
  rm -rf "$dir/out"
  read -r wall rss <<< "$(measure train)"; row "train (new output)" "$wall" $rss
  read -r wall rss <<< "$(measure train)"; row "train (all complete)" "$wall" $rss
  rm -rf "$dir/out"
  read -r wall rss <<< "$(measure run)"; row "run (new output)" "$wall" $rss
done
