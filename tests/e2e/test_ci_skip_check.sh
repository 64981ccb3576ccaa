# .ci/check_skips.py, which makes CI fail on a skip the README's setup could
# have avoided: it must reject a skipped script and a gtest skip without the
# "(not installable)" mark, and accept the marked ones.
source "$(dirname "$0")/common.sh"
check="$CP_SOURCE_DIR/.ci/check_skips.py"
junit() {  # testcase elements -> a JUnit file like ctest's
  echo "<testsuite>$*</testsuite>" > "$WORK/j.xml"
}
marked='<testcase name="gpu"><skipped/><system-out>SKIP (not installable): no GPU</system-out></testcase>
<testcase name="bin"><system-out>/t.cpp:3: Skipped
(not installable) LibTorch sees no CUDA device
[  SKIPPED ] Cuda.One</system-out></testcase>
<testcase name="ok"><system-out>PASS</system-out></testcase>'
junit "$marked"
python3 "$check" "$WORK/j.xml" || die "marked skips were refused"

junit "$marked<testcase name=\"e2e.test_schedule\"><skipped/><system-out>SKIP: Fashion-MNIST not installed</system-out></testcase>"
out=$(python3 "$check" "$WORK/j.xml") && die "a skipped script passed: $out"
grep -q "installable by scripts/setup.sh: e2e.test_schedule" <<<"$out" || die "the skipped test is not named: $out"

junit "$marked<testcase name=\"unit.test_idx\"><system-out>/t.cpp:9: Skipped
/usr/share/datasets/fashion-mnist not installed
</system-out></testcase>"
out=$(python3 "$check" "$WORK/j.xml") && die "a gtest skip passed: $out"
grep -q "unit.test_idx: gtest skipped: /usr/share/datasets/fashion-mnist not installed" <<<"$out" || die "not named: $out"
echo PASS
