"""Fails (exit 1) when ctest's JUnit report holds a skip that the README's
setup could have avoided. A whole test skipped (exit code 77) must say
"SKIP (not installable)" in its output; a gtest test skipped inside a passing
binary must say "(not installable)" in its skip message. Anything else (no
Fashion-MNIST, no h5py, not root for Slurm...) is a test that never ran.

usage: check_skips.py CTEST_JUNIT.xml"""
import re
import sys
import xml.etree.ElementTree as ET

# gtest: "<file>:<line>: Skipped" then the message's first line.
GTEST_SKIP = re.compile(r"^.*:\d+: Skipped\n(.*)$", re.M)


def main():
    cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
    bad, allowed, total = [], [], 0
    for case in cases:
        total += 1
        name = case.get("name")
        out = case.findtext("system-out") or ""
        if case.find("skipped") is not None:
            reason = next((l for l in out.splitlines() if l.startswith("SKIP")), "(no SKIP line)")
            (allowed if reason.startswith("SKIP (not installable)") else bad).append("%s: %s" % (name, reason))
        for message in GTEST_SKIP.findall(out):
            (allowed if "(not installable)" in message else bad).append("%s: gtest skipped: %s" % (name, message))
    for line in allowed:
        print("skipped, not installable: " + line)
    for line in bad:
        print("SKIPPED but installable by scripts/setup.sh: " + line)
    print("check_skips: %d tests, %d skips allowed, %d not" % (total, len(allowed), len(bad)))
    return 1 if bad or total == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
