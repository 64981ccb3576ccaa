#!/usr/bin/env bash
# A test failing on rank 1 only (mpi_gtest_main's CP_TEST_FAIL_ON_RANK) must
# fail the whole run and print rank 1's test name, file:line and message.
#   check_rank_failures.sh MPI_GTEST_BINARY   (MPIEXEC: the launcher)
set -uo pipefail
bin=${1:?usage: check_rank_failures.sh MPI_GTEST_BINARY}
fail() { echo "FAIL: $*"; exit 1; }

out=$(CP_TEST_FAIL_ON_RANK=1 "${MPIEXEC:-mpiexec}" -n 2 "$bin" --gtest_filter='MpiGtestMain.*' 2>&1)
rc=$?
echo "$out"
[ "$rc" != 0 ] || fail "a failure on rank 1 only ended with exit code 0"
for line in 'rank 1: MpiGtestMain.FailsOnOneRank' \
            'rank 1: .*/mpi_gtest_main\.cpp:[0-9]+: Failure' \
            'rank 1: the designated failure of rank 1' \
            'rank 1: \[  FAILED  \] MpiGtestMain\.FailsOnOneRank'; do
  grep -qxE "$line" <<<"$out" || fail "no line '$line' in the output"
done
# Rank 0 passed it: none of its lines may claim a failure of rank 0.
grep -q '^rank 0:' <<<"$out" && fail "rank 0 reported a failure it did not have"

# Without the variable the designated failure is not there to fail a real run.
out=$("${MPIEXEC:-mpiexec}" -n 2 "$bin" --gtest_filter='MpiGtestMain.*' 2>&1) || fail "exit code $? without it: $out"
grep -q 'Running 0 tests' <<<"$out" || fail "the designated test exists without CP_TEST_FAIL_ON_RANK: $out"
echo PASS
