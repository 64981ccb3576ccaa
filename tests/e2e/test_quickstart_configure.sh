# The quickstart configures a new build directory exactly as scripts/setup.sh
# --quickstart does, on a machine that has the test framework but not the
# Python references (h5py, numpy): the configure must succeed and leave tests
# and benchmarks out, whatever else is installed. Configure only; installs
# nothing; the build directory is a scratch one.
source "$(dirname "$0")/common.sh"
# An interpreter that cannot import h5py or numpy, named by CP_PYTHON: the one
# tests/CMakeLists.txt would run to list the trust cases.
mkdir -p "$WORK/hidden"
for m in h5py numpy; do echo "raise ImportError('$m hidden by test_quickstart_configure')" > "$WORK/hidden/$m.py"; done
cat > "$WORK/python" <<SH
#!/bin/sh
PYTHONPATH="$WORK/hidden" exec /usr/bin/python3 "\$@"
SH
chmod +x "$WORK/python"
! "$WORK/python" -c 'import h5py' 2> /dev/null || die "the wrapper still imports h5py: the test would prove nothing"

BUILD_DIR="$WORK/build" CMAKE_ARGS="-DCP_PYTHON=$WORK/python" \
  bash "$CP_SOURCE_DIR/scripts/setup.sh" --quickstart --configure-only --no-install > "$WORK/log" 2>&1 ||
  { cat "$WORK/log"; die "the quickstart's configure failed"; }
for option in CLUSTERPROBE_BUILD_TESTS CLUSTERPROBE_BUILD_BENCH; do
  grep -qx "$option:BOOL=OFF" "$WORK/build/CMakeCache.txt" || die "quickstart build directory has $option on"
done
[ ! -e "$WORK/build/tests" ] || die "the quickstart configured the tests"

# The test command configures the same directory with the tests later; listing
# the trust cases must not need h5py either (they are read from the source).
cases=$("$WORK/python" "$CP_SOURCE_DIR/tests/trust/regressions.py" --list) || die "--list needs h5py"
[[ $cases == *read_only_file_system* ]] || die "--list without h5py lost the cases: $cases"
echo PASS
