#!/usr/bin/env bash
# Installs every Debian package ClusterProbe needs (only what is missing; apt-get
# update only then), configures and builds. Idempotent: a second call is a no-op
# install plus an incremental build.
#   scripts/setup.sh [--no-build]      BUILD_DIR (default build), BUILD_TYPE (Release)
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config ccache
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libeigen3-dev libboost-serialization-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev zlib1g-dev libpng-dev libjpeg-dev libgtest-dev libbenchmark-dev
  libigraph-dev libarpack2-dev libglpk-dev libplfit-dev libspectra-dev
  dataset-fashion-mnist
  python3-sklearn python3-h5py python3-numpy python3-pandas python3-faiss python3-torch
  gnuplot-nox chromium chromium-driver python3-selenium
  slurmctld slurmd slurm-client munge
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine; refresh only when needed.
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  }
fi

[ "${1:-}" = "--no-build" ] && exit 0

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths inside the checkout hash relative to it, so a fresh clone elsewhere
# (CI) reuses the cache of earlier builds.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  # shellcheck disable=SC2086  # CMAKE_ARGS: extra configure arguments, e.g. -DCLUSTERPROBE_NATIVE=ON
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${launcher[@]}" ${CMAKE_ARGS:-}
fi
cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
