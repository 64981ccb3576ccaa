#!/usr/bin/env bash
# Install what is missing, build, and run every test (unit, MPI through
# mpiexec, end to end). Extra arguments go to ctest, e.g. `-L unit`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/mpi_env.sh
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j"${JOBS:-2}" "$@"
