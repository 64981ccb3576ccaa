#!/usr/bin/env bash
# Run a whole study on this machine with N ranks: jobs/local.sh STUDY.yaml [N] [key=value...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
study=${1:?usage: jobs/local.sh STUDY.yaml [ranks] [key=value...]}; shift
ranks=${1:-2}; [ $# -gt 0 ] && shift
source "$root/scripts/mpi_env.sh"
# --bind-to none: a rank may use several torch threads, which a binding to one core would serialise.
exec mpirun -np "$ranks" --bind-to none "${CLUSTERPROBE:-$root/build/clusterprobe}" run "$study" "$@"
