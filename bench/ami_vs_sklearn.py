#!/usr/bin/python3
"""sklearn's adjusted_mutual_info_score against ClusterProbe's on the same labels.

Labelings of --n labels with k clusters on each side (uniform), for growing k.
sklearn runs each case in a child process (so a slow case can be cut off at
--timeout); the scan stops after the first case above --budget seconds (45 s
by default: "about 30 s" on a loaded machine) or cut off. The largest case sklearn finished within the budget,
and every smaller one, are then timed with build/bench/ami_bench on the very
same label files; the table gives both times, the speed-up and the
difference of the two AMI values. Threads: --threads for both (sklearn's EMI
is single-threaded Cython; ours uses OpenMP).

  /usr/bin/python3 bench/ami_vs_sklearn.py --build build [--n 1000000] [--budget 30]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--build", default="build", help="CMake build directory with bench/ami_bench")
ARGS.add_argument("--n", type=int, default=1000000, help="labels per labeling")
ARGS.add_argument("--clusters", default="10,30,100,300,1000,3000,10000",
                  help="cluster counts to try, ascending")
ARGS.add_argument("--budget", type=float, default=45.0,
                  help="largest sklearn time kept (s): ~30 s, with room for a loaded machine")
ARGS.add_argument("--timeout", type=float, default=120.0, help="sklearn cut-off per case (s)")
ARGS.add_argument("--threads", type=int, default=2)
ARGS.add_argument("--seed", type=int, default=0)
OPTS = ARGS.parse_args()
os.environ["OMP_NUM_THREADS"] = str(OPTS.threads)

import numpy as np  # noqa: E402

CHILD = r"""
import sys, time, warnings
import numpy as np
from sklearn.metrics import adjusted_mutual_info_score
warnings.simplefilter("ignore")
t = np.fromfile(sys.argv[1], dtype=np.int32)
p = np.fromfile(sys.argv[2], dtype=np.int32)
t0 = time.perf_counter()
v = adjusted_mutual_info_score(t, p)
print("%r %r" % (time.perf_counter() - t0, v))
"""


def main():
    rows = []
    with tempfile.TemporaryDirectory(prefix="cp_ami_bench_") as tmp:
        child = os.path.join(tmp, "child.py")
        with open(child, "w") as f:
            f.write(CHILD)
        rng = np.random.default_rng(OPTS.seed)
        for k in (int(x) for x in OPTS.clusters.split(",")):
            truth = os.path.join(tmp, "truth_%d.i32" % k)
            pred = os.path.join(tmp, "pred_%d.i32" % k)
            rng.integers(0, k, OPTS.n, dtype=np.int32).tofile(truth)
            rng.integers(0, k, OPTS.n, dtype=np.int32).tofile(pred)
            try:
                out = subprocess.run([sys.executable, child, truth, pred], check=True,
                                     capture_output=True, text=True, timeout=OPTS.timeout).stdout
                sk_seconds, sk_ami = (float(x) for x in out.split())
            except subprocess.TimeoutExpired:
                print("  k=%d: sklearn cut off after %.0f s" % (k, OPTS.timeout), file=sys.stderr)
                break
            print("  k=%d: sklearn %.3f s" % (k, sk_seconds), file=sys.stderr)
            if sk_seconds > OPTS.budget:
                print("  k=%d: over the %.0f s budget, not kept" % (k, OPTS.budget), file=sys.stderr)
                break
            binary = os.path.join(OPTS.build, "bench", "ami_bench")
            res = json.loads(subprocess.run([binary, "--truth", truth, "--pred", pred, "--repeats", "3"],
                                            check=True, capture_output=True, text=True).stdout)
            rows.append((k, sk_seconds, sk_ami, res["seconds"], res["ami"]))
    print("AMI on %d labels, k clusters on each side (uniform), %d threads" % (OPTS.n, OPTS.threads))
    print()
    print("| k | sklearn s | ours s (median of 3) | speed-up | AMI sklearn | AMI ours | difference |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for k, sk_s, sk_v, our_s, our_v in rows:
        print("| %d | %.3f | %.4f | %.0fx | %.10e | %.10e | %.1e |" % (
            k, sk_s, our_s, sk_s / our_s, sk_v, our_v, abs(sk_v - our_v)))
    if rows:
        print()
        print("largest case sklearn finished within the %.0f s budget: k = %d (%.1f s)"
              % (OPTS.budget, rows[-1][0], rows[-1][1]))


if __name__ == "__main__":
    main()
