#!/usr/bin/env bash
# Install what is missing, build, and run the quickstart study (Fashion-MNIST,
# 2 hierarchies x 2 architectures x 2 normalizations) on 2 MPI ranks.
# Extra arguments are key=value overrides, e.g. train.epochs=1.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --quickstart
source scripts/mpi_env.sh
# --bind-to none: a rank may use several torch threads, which a binding to one core would serialise.
time mpirun -np "${RANKS:-2}" --bind-to none "${BUILD_DIR:-build}/clusterprobe" run configs/quickstart.yaml "$@"
