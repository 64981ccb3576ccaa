# Shared by the bench scripts (sourced).

# dd's summary line on stdin -> its rate in MB/s.
dd_rate() {
  awk '/copied/ { v = $(NF-1); u = $NF; if (u ~ /^GB/) v *= 1000; if (u ~ /^kB/) v /= 1000; print v }'
}

# The images/s of the last epoch in a training log.
rate() { grep -Eo '[0-9.]+ images/s' "$1" | tail -1 | cut -d' ' -f1; }
