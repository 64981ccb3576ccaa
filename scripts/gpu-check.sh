#!/usr/bin/env bash
# On a machine with a GPU: build against a CUDA LibTorch and run what only a
# GPU can check: the NCCL communicator and CUDA-vs-CPU training
# (tests/mpi/test_comm.cpp, test_data_parallel.cpp; skipped without a GPU),
# then the quickstart study trained on the GPU.
#
#   TORCH_PREFIX  LibTorch's CMake prefix (default: the pip-installed PyTorch's)
#   BUILD_DIR     build directory (default build-gpu)
#   CMAKE_ARGS    more configure arguments (e.g. -DCP_PYTHON=/path/to/python3)
#
# The other dependencies are the ones scripts/setup.sh installs on Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/mpi_env.sh

BUILD_DIR=${BUILD_DIR:-build-gpu}
TORCH_PREFIX=${TORCH_PREFIX:-$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')}
nvidia-smi -L

# shellcheck disable=SC2086  # CMAKE_ARGS is a list of arguments
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$TORCH_PREFIX" \
  -DCLUSTERPROBE_BUILD_BENCH=OFF ${CMAKE_ARGS:-} | tee "$BUILD_DIR.configure.log" |
  grep -E "ClusterProbe:|Found Torch"
grep -q "NCCL backend 1" "$BUILD_DIR.configure.log" ||
  { echo "gpu-check: CMake found no CUDA runtime + NCCL: nothing to check" >&2; exit 1; }
cmake --build "$BUILD_DIR" -j"$(nproc)"

ctest --test-dir "$BUILD_DIR" -R 'comm|data_parallel' --output-on-failure
grep -h '^\[ cuda \]\|^\[ nccl \]' "$BUILD_DIR/Testing/Temporary/LastTest.log" || true

out=$(mktemp -d)
time mpirun --bind-to none -np 2 "$BUILD_DIR/clusterprobe" run configs/quickstart.yaml \
  train.device=cuda "output=$out/quickstart"
echo "gpu-check: the quickstart on the GPU is in $out/quickstart/report.md"
