#!/usr/bin/env bash
# Activation-file I/O against dd on the same disk: for float32/float16 and
# with/without deflate, the time to write a [rows x cols] layer from every
# rank (collective transfers, then fsync) and to read it back on one rank,
# as throughput of the file's bytes and of the float32 data it holds, with
# dd writing (conv=fdatasync) and reading a file of the float32 size next to
# it. Reads are cold for both where the page cache can be dropped (root),
# else cached for both (the table says which). The last two columns: every
# rank reading its block of rows, as a large item's ranks do, independently
# (the cluster stage's way) and with collective MPI-IO transfers (float32).
#   bench/io_vs_dd.sh [build dir] [rows] [cols] [ranks] [scratch dir]
set -euo pipefail
build=${1:-build}; rows=${2:-100000}; cols=${3:-512}; ranks=${4:-2}; dir=${5:-/tmp/cp-io-bench}
source "$(dirname "$0")/../scripts/mpi_env.sh"
source "$(dirname "$0")/common.sh"
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
mb=$(( rows * cols * 4 / 1000000 ))
dd_write=$(dd if=/dev/zero of="$dir/dd.bin" bs=1M count=$(( mb * 1000000 / 1048576 )) conv=fdatasync 2>&1 | dd_rate)
cold=cached
sync
if { echo 3 > /proc/sys/vm/drop_caches; } 2> /dev/null; then cold=cold; fi
dd_read=$(dd if="$dir/dd.bin" of=/dev/null bs=1M 2>&1 | dd_rate)
rm -f "$dir/dd.bin"
echo "| dtype | compression | file MB | ratio | write s | write MB/s (file) | write vs dd | write MB/s (float32) | read s | read MB/s (file) | read vs dd | read MB/s (float32) | blocks, independent s | blocks, collective s |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for combo in "float32 0" "float32 1" "float32 4" "float16 0" "float16 1" "float16 4"; do
  set -- $combo
  line=$(mpiexec -n "$ranks" --bind-to none "$build/bench/activation_io" --dir "$dir" --rows "$rows" --cols "$cols" \
           --dtype "$1" --deflate "$2")
  /usr/bin/python3 - "$line" "$dd_write" "$dd_read" <<'PY'
import json, sys
r = json.loads(sys.argv[1]); dw, dr = float(sys.argv[2]), float(sys.argv[3])
wf, rf = r["write_file_MBps"], r["read_file_MBps"]
w32, r32 = r["float32_bytes"] / r["write_s"] / 1e6, r["float32_bytes"] / r["read_s"] / 1e6
comp = "deflate:%d" % r["deflate"] if r["deflate"] else "none"
coll = "%.2f" % r["read_blocks_collective_s"] if r["read_blocks_collective_s"] >= 0 else "-"
print("| %s | %s | %.0f | %.2f | %.2f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %.0f | %.2f | %s |" % (
    r["dtype"], comp, r["file_bytes"] / 1e6, r["ratio"], r["write_s"], wf, wf / dw, w32, r["read_s"], rf, rf / dr, r32,
    r["read_blocks_independent_s"], coll))
PY
done
echo
echo "dd on $dir: write ${dd_write} MB/s (conv=fdatasync), read ${dd_read} MB/s ($cold); ${rows} x ${cols} float32 = ${mb} MB; ${ranks} writing ranks"
