#!/usr/bin/python3
"""The cluster stage against the same work in Python: h5py + scikit-learn.

Input: a trained study's output directory (the quickstart's by default).
Python reads every (run, epoch, layer) of every runs/*/activations.h5 with
h5py and does what the quickstart's cluster section asks of ClusterProbe:
rows scaled to unit length (preprocess l2), k-means with k = the fine
classes over all rows, and within each superclass with k = its fine classes,
each KMeans(n_init=restarts, max_iter, tol=1e-4, algorithm="lloyd"); then
AMI, ARI, NMI and the Hungarian-matched accuracy of every clustering. (Ours
also computes what the stage always adds: end-to-end accuracy and NC1; so
the comparison leans against us.) Both get THREADS threads, one process.

One measurement runs ours (clusterprobe cluster) and then Python, REPEATS
times in turn, and prints a JSON line per pair:
  /usr/bin/python3 bench/cluster_vs_python.py --bin build/clusterprobe --threads 2
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--bin", default="build/clusterprobe")
ARGS.add_argument("--study", default=os.path.join(os.path.dirname(__file__), "..", "configs", "quickstart.yaml"))
ARGS.add_argument("--output", default="out/fmnist-quickstart", help="the study's trained output directory")
ARGS.add_argument("--threads", type=int, default=2)
ARGS.add_argument("--restarts", type=int, default=5)
ARGS.add_argument("--max-iter", type=int, default=100)
ARGS.add_argument("--repeats", type=int, default=3)
ARGS.add_argument("--python-only", action="store_true", help=argparse.SUPPRESS)
OPTS = ARGS.parse_args()


def ours():
    # A copy of the run files' directory layout: `cluster` rewrites metrics in its output.
    with tempfile.TemporaryDirectory(prefix="cp-cluster-bench-") as out:
        os.symlink(os.path.abspath(os.path.join(OPTS.output, "runs")), os.path.join(out, "runs"))
        cmd = [OPTS.bin, "cluster", OPTS.study, "output=" + out,
               "cluster.restarts=%d" % OPTS.restarts, "cluster.max_iter=%d" % OPTS.max_iter]
        env = dict(os.environ, OMP_NUM_THREADS=str(OPTS.threads))
        t0 = time.perf_counter()
        run = subprocess.run(cmd, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - t0
        if run.returncode != 0:
            sys.exit("clusterprobe cluster failed:\n" + run.stdout + run.stderr)
        return seconds


def python_pipeline():
    cmd = [sys.executable, __file__, "--python-only", "--output", OPTS.output, "--threads", str(OPTS.threads),
           "--restarts", str(OPTS.restarts), "--max-iter", str(OPTS.max_iter)]
    env = dict(os.environ, OMP_NUM_THREADS=str(OPTS.threads), OPENBLAS_NUM_THREADS=str(OPTS.threads))
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        sys.exit("the Python pipeline failed:\n" + run.stderr)
    return time.perf_counter() - t0, int(run.stdout)


def cluster_in_python():
    import h5py
    import numpy as np
    from scipy.optimize import linear_sum_assignment
    from sklearn.cluster import KMeans
    from sklearn.metrics import adjusted_mutual_info_score, adjusted_rand_score, normalized_mutual_info_score

    def scores(truth, pred):
        classes, t = np.unique(truth, return_inverse=True)
        clusters, p = np.unique(pred, return_inverse=True)
        table = np.zeros((clusters.size, classes.size))
        np.add.at(table, (p, t), 1)
        rows, cols = linear_sum_assignment(-table)
        return (adjusted_mutual_info_score(truth, pred), adjusted_rand_score(truth, pred),
                normalized_mutual_info_score(truth, pred), table[rows, cols].sum() / truth.size)

    def kmeans(X, k):
        return KMeans(n_clusters=k, n_init=OPTS.restarts, max_iter=OPTS.max_iter, tol=1e-4,
                      algorithm="lloyd", random_state=0).fit_predict(X)

    items = 0
    for path in sorted(glob.glob(os.path.join(OPTS.output, "runs", "*", "activations.h5"))):
        with h5py.File(path, "r") as f:
            fine = f["labels/fine"][()]
            coarse = f["labels/coarse"][()]
            for epoch in sorted(k for k in f if k.startswith("epoch_")):
                for layer in f[epoch]:
                    X = f[epoch][layer][()].astype(np.float32)
                    X /= np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
                    scores(fine, kmeans(X, np.unique(fine).size))
                    for s in np.unique(coarse):
                        rows = coarse == s
                        k = np.unique(fine[rows]).size
                        if k >= 2:
                            scores(fine[rows], kmeans(X[rows], k))
                    items += 1
    print(items)


def main():
    if OPTS.python_only:
        from threadpoolctl import threadpool_limits
        with threadpool_limits(limits=OPTS.threads):
            cluster_in_python()
        return
    for rep in range(OPTS.repeats):
        a = ours()
        b, items = python_pipeline()
        print(json.dumps({"items": items, "threads": OPTS.threads, "repeat": rep, "ours_s": round(a, 2),
                          "python_s": round(b, 2), "speedup": round(b / a, 2)}), flush=True)


if __name__ == "__main__":
    main()
