# Commands that do not train never load LibTorch, and the only HDF5 in their
# process is the parallel one: checked in the running commands themselves
# (glibc's LD_DEBUG=files lists every object loaded) and by `version`.
source "$(dirname "$0")/common.sh"

loaded() {  # log: the shared objects a command loaded
  sed -n 's/.*file=\([^ ]*\) \[0\].*generating link map.*/\1/p' "$1" | sort -u
}
check_torch_free() {  # name log
  local libs
  libs=$(loaded "$2")
  [ -n "$libs" ] || die "$1: LD_DEBUG listed nothing (glibc changed its format?)"
  echo "$libs" | grep -q "libhdf5_openmpi" || die "$1: the parallel HDF5 was not loaded"
  ! echo "$libs" | grep -q "libtorch" || die "$1 loaded LibTorch"
  ! echo "$libs" | grep -q "libhdf5_serial" || die "$1 loaded a second HDF5: $(echo "$libs" | grep hdf5)"
  ! echo "$libs" | grep -q "libclusterprobe_train" || die "$1 loaded the training module"
  echo "$1: $(echo "$libs" | wc -l) libraries, no LibTorch, one HDF5"
}

"$CP_PYTHON" - "$WORK/acts.h5" <<'PY'
import sys
import h5py
import numpy as np
rng = np.random.default_rng(1)
fine = np.repeat(np.arange(6), 40)
with h5py.File(sys.argv[1], "w") as f:
    f["labels/fine"] = fine
    f["labels/coarse"] = fine // 2
    f["epoch_1/features"] = (rng.normal(size=(6, 8)) * 6)[fine] + rng.normal(size=(fine.size, 8))
PY
LD_DEBUG=files "$CP_BIN" analyze "$WORK/acts.h5" -o "$WORK/an" cluster.restarts=1 > "$WORK/analyze.out" 2> "$WORK/analyze.log" \
  || { cat "$WORK/analyze.out"; die "analyze failed"; }
check_torch_free analyze "$WORK/analyze.log"
LD_DEBUG=files "$CP_BIN" status "$WORK/an" > /dev/null 2> "$WORK/status.log" || true
check_torch_free status "$WORK/status.log"
LD_DEBUG=files "$CP_BIN" plan "$CP_SOURCE_DIR/configs/quickstart.yaml" output="$WORK/qs" > /dev/null 2> "$WORK/plan.log"
check_torch_free plan "$WORK/plan.log"
LD_DEBUG=files "$CP_BIN" slurm "$CP_SOURCE_DIR/configs/quickstart.yaml" output="$WORK/qs" --dry-run \
  > /dev/null 2> "$WORK/slurm.log"
check_torch_free "slurm --dry-run" "$WORK/slurm.log"

"$CP_BIN" version > "$WORK/version"
cat "$WORK/version"
grep -q "^HDF5 .*parallel, calls go to .*libhdf5_openmpi" "$WORK/version" || die "version: HDF5 calls do not reach the parallel HDF5"
grep -q "^HDF5 libraries mapped: [^,]*libhdf5_openmpi[^,]*$" "$WORK/version" || die "version: not exactly one HDF5 mapped"
grep -q "^LibTorch mapped: none$" "$WORK/version" || die "version: LibTorch mapped"

# train loads the module (and LibTorch with it); the HDF5 calls stay with the parallel library.
"$CP_BIN" version --trainer > "$WORK/trainer"
cat "$WORK/trainer"
grep -q "^training module: .*libclusterprobe_train.so (LibTorch [0-9]" "$WORK/trainer" || die "version --trainer: no module"
grep -q "^HDF5 .*parallel, calls go to .*libhdf5_openmpi" "$WORK/trainer" || die "with LibTorch loaded, HDF5 calls left the parallel HDF5"
grep -q "^LibTorch mapped: .*libtorch_cpu" "$WORK/trainer" || die "version --trainer: LibTorch not mapped"

# A missing module is one clear error naming it, exit 1, when training starts.
write_synthetic_study "$WORK/s.yaml" "$WORK/out"
set +e
CLUSTERPROBE_TRAIN_MODULE=$WORK/missing.so "$CP_BIN" train "$WORK/s.yaml" > "$WORK/missing.log" 2>&1
rc=$?
set -e
cat "$WORK/missing.log"
[ $rc -eq 1 ] || die "a missing training module gave exit $rc, not 1"
grep -q "cannot load the training module $WORK/missing.so" "$WORK/missing.log" || die "the error does not name the module"
echo "PASS"
