#!/usr/bin/env bash
# Installs the Debian packages ClusterProbe needs (only what is missing; apt-get
# update only then), configures and builds. Idempotent: a second call is a no-op
# install plus an incremental build.
#   scripts/setup.sh [--no-build | --configure-only] [--no-install] [--quickstart]
#     --quickstart: only what the quickstart needs (the libraries, the data,
#     gnuplot for the report's figures); a new build directory is configured
#     without tests and benchmarks, whatever else is installed, and only the
#     clusterprobe target is built. The test command later adds the rest and
#     reconfigures the same build directory with them.
#     --configure-only: configure a new build directory, do not build.
#     --no-install: report missing packages instead of installing them.
#   BUILD_DIR (default build), BUILD_TYPE (Release), JOBS (2), CMAKE_ARGS
set -euo pipefail
cd "$(dirname "$0")/.."
build=1 configure=1 quick=0 install=1
for arg in "$@"; do
  case $arg in
    --no-build) build=0 configure=0 ;;
    --configure-only) build=0 ;;
    --no-install) install=0 ;;
    --quickstart) quick=1 ;;
    *) echo "setup.sh: unknown argument $arg" >&2; exit 2 ;;
  esac
done

PACKAGES=(
  build-essential cmake pkg-config ccache
  libtorch-dev libopenblas0-openmp
  libopenmpi-dev openmpi-bin
  libhdf5-openmpi-dev hdf5-tools
  libeigen3-dev libboost-serialization-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev zlib1g-dev libpng-dev libjpeg-dev
  libigraph-dev libarpack2-dev libglpk-dev libplfit-dev libspectra-dev
  dataset-fashion-mnist gnuplot-nox libjs-jquery libjs-jquery-tablesorter
)
# The tests and benchmarks: their frameworks, ctags (the structure check),
# the Python references, a real browser and a real Slurm (iproute2: its simulated nodes).
if [ $quick = 0 ]; then
  PACKAGES+=(
    libgtest-dev libbenchmark-dev universal-ctags
    python3-sklearn python3-h5py python3-numpy python3-pandas python3-faiss python3-torch
    chromium chromium-driver python3-selenium
    slurmctld slurmd slurm-client munge iproute2
  )
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})) && [ $install = 0 ]; then
  echo "setup: not installing ${missing[*]} (--no-install)"
elif ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  # The package lists may be stale on a fresh machine; refresh only when needed.
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
    $SUDO apt-get update -qq
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  }
fi

[ $configure = 1 ] || exit 0

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# Paths inside the checkout hash relative to it, so a fresh clone elsewhere
# (CI) reuses the cache of earlier builds.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$PWD}"
# The precompiled LibTorch header differs only by these, which ccache may ignore.
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
# The quickstart's packages do not include the tests' (gtest, h5py for the
# trust cases' list...): whatever else happens to be installed, its build
# directory has no tests, and the test command reconfigures it with them.
tests=ON
[ $quick = 1 ] && tests=OFF
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ] || [ $quick = 0 ]; then
  # shellcheck disable=SC2086  # CMAKE_ARGS: extra configure arguments, e.g. -DCLUSTERPROBE_NATIVE=ON
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${launcher[@]}" \
    -DCLUSTERPROBE_BUILD_TESTS=$tests -DCLUSTERPROBE_BUILD_BENCH=$tests ${CMAKE_ARGS:-} > /dev/null
fi
if [ $build = 0 ]; then
  exit 0
elif [ $quick = 1 ]; then
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}" --target clusterprobe
else
  cmake --build "$BUILD_DIR" -j"${JOBS:-2}"
fi
