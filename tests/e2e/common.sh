# Shared by the end-to-end tests: a scratch directory and helpers.
set -euo pipefail
: "${CP_BIN:?set by ctest}" "${CP_SOURCE_DIR:?}" "${CP_PYTHON:=/usr/bin/python3}" "${MPIEXEC:=mpiexec}"
WORK=$(mktemp -d /tmp/cp-e2e.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
die() { echo "FAIL: $*" >&2; exit 1; }

# A tiny synthetic study: 3 superclasses x 3 subclasses of Gaussian blobs.
write_synthetic_study() {  # path output [extra yaml lines]
  cat > "$1" <<YAML
study: e2e-synthetic
output: $2
grid:
  dataset: [synthetic/gmm]
  architecture: [mlp]
  normalization: [batch, layer]
  seed: [0]
train: {epochs: 2, batch_size: 64, lr: 0.05, threads: 1}
extract: {split: test, layers: all}
cluster: {restarts: 3, max_iter: 50}
data: {synthetic: {coarse: 3, fine: 3, dim: 32, train_per_fine: 200, test_per_fine: 60, separation: 12.0}}
${3:-}
YAML
}
