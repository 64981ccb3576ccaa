#!/usr/bin/python3
"""ClusterProbe's k-means against faiss and scikit-learn on the same data.

Two cases of Gaussian blobs (60k x 512 with k = 10, 100k x 128 with k = 100),
each clustered by the three with the same number of Lloyd iterations N:
  ours     build/bench/kmeans_bench: cp::kmeans, tol 0, 1 restart, max_iter N
  faiss    faiss.Kmeans(niter=N, nredo=1, spherical=False, seed, every point
           used: max_points_per_centroid >= rows / k)
  sklearn  KMeans(n_init=1, max_iter=N, tol=0, algorithm="lloyd")
first each with its own initialisation (ours and sklearn: k-means++, faiss:
random rows), then all from the same given centroids (k random rows), which
times the Lloyd iterations alone. Every method gets the same thread count
(OMP_NUM_THREADS / BLAS threads / faiss.omp_set_num_threads = --threads).
The inertia of every result is recomputed by one function from its centroids
(float64, each row to its nearest centroid), so the values compare. sklearn
(and ours) stop early once the assignment stops changing: the iterations
actually run are reported next to the time.

The methods run in turn (ours, faiss, sklearn, ours, ...) --repeats times, so
a slow spell of the machine hits all of them; each ratio is taken within one
repeat and the table gives its range over the repeats: per Lloyd iteration
for the given start, for the whole clustering (seeding included) for each
method's own start. "ours, all rows" seeds k-means++ from every row
(--seeding-rows -1) instead of the sample ours takes by default: the inertia
column shows what the sample costs.

Run with Debian's /usr/bin/python3 (numpy, sklearn 1.2, faiss 1.7.3):
  /usr/bin/python3 bench/kmeans_vs_peers.py --build build [--iters 20] [--threads 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--build", default="build", help="CMake build directory with bench/kmeans_bench")
ARGS.add_argument("--iters", type=int, default=20, help="Lloyd iterations N")
ARGS.add_argument("--threads", type=int, default=2, help="threads for every method")
ARGS.add_argument("--repeats", type=int, default=3, help="timed runs per method, interleaved")
ARGS.add_argument("--seed", type=int, default=0)
ARGS.add_argument("--json-out", help="also write the results as JSON to this file")
OPTS = ARGS.parse_args()

# Thread counts must be fixed before numpy, faiss or sklearn load their runtimes.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(OPTS.threads)

import numpy as np  # noqa: E402
import faiss  # noqa: E402
from sklearn.cluster import KMeans  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

CASES = [(60000, 512, 10), (100000, 128, 100)]


def blobs(n, d, k, seed):
    """k Gaussian blobs: centres ~ N(0, 0.1^2) per coordinate, unit noise, so
    the blobs overlap and Lloyd keeps moving for the N iterations."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0.0, 0.1, (k, d))
    labels = rng.integers(0, k, n)
    return (centres[labels] + rng.normal(0.0, 1.0, (n, d))).astype(np.float32)


def inertia(X, C):
    """Sum over rows of the squared distance to the nearest centroid, float64."""
    C = np.asarray(C, dtype=np.float64)
    c_norm = (C * C).sum(1)
    total = 0.0
    for i in range(0, len(X), 8192):
        xb = X[i:i + 8192].astype(np.float64)
        nearest = np.argmin(c_norm[None, :] - 2.0 * xb @ C.T, axis=1)
        total += ((xb - C[nearest]) ** 2).sum()
    return total


def ours(path, X, k, init_path, seeding_rows=0):
    binary = os.path.join(OPTS.build, "bench", "kmeans_bench")
    out = path + ".centroids"
    cmd = [binary, "--data", path, "--rows", str(X.shape[0]), "--cols", str(X.shape[1]),
           "--k", str(k), "--iters", str(OPTS.iters), "--seed", str(OPTS.seed),
           "--centroids-out", out]
    if init_path:
        cmd += ["--init", init_path]
    if seeding_rows:
        cmd += ["--seeding-rows", str(seeding_rows)]
    res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
    C = np.fromfile(out, dtype=np.float32).reshape(k, X.shape[1])
    return {"seconds": res["seconds"], "iterations": res["iterations"], "centroids": C}


def run_faiss(X, k, C0):
    faiss.omp_set_num_threads(OPTS.threads)
    km = faiss.Kmeans(X.shape[1], k, niter=OPTS.iters, nredo=1, spherical=False,
                      seed=OPTS.seed + 1234, verbose=False,
                      max_points_per_centroid=(X.shape[0] + k - 1) // k + 1)
    t0 = time.perf_counter()
    km.train(X, init_centroids=C0)
    return {"seconds": time.perf_counter() - t0, "iterations": OPTS.iters,
            "centroids": km.centroids.copy()}


def run_sklearn(X, k, C0):
    km = KMeans(n_clusters=k, init="k-means++" if C0 is None else C0, n_init=1,
                max_iter=OPTS.iters, tol=0.0, algorithm="lloyd", random_state=OPTS.seed)
    with threadpool_limits(limits=OPTS.threads):
        t0 = time.perf_counter()
        km.fit(X)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "iterations": int(km.n_iter_), "centroids": km.cluster_centers_}


def main():
    results = []
    with tempfile.TemporaryDirectory(prefix="cp_kmeans_bench_") as tmp:
        for n, d, k in CASES:
            X = blobs(n, d, k, OPTS.seed)
            path = os.path.join(tmp, "x_%d_%d.f32" % (n, d))
            X.tofile(path)
            rng = np.random.default_rng(OPTS.seed + 7)
            C0 = X[rng.choice(n, k, replace=False)].copy()
            init_path = os.path.join(tmp, "init_%d_%d.f32" % (n, d))
            C0.tofile(init_path)
            for init in ("own", "given"):
                given = init == "given"
                methods = {
                    "ours": lambda: ours(path, X, k, init_path if given else None),
                    "faiss": lambda: run_faiss(X, k, C0 if given else None),
                    "sklearn": lambda: run_sklearn(X, k, C0 if given else None),
                }
                if not given:
                    methods["ours, all rows"] = lambda: ours(path, X, k, None, seeding_rows=-1)
                runs = {name: [] for name in methods}
                for _ in range(OPTS.repeats):
                    for name, fn in methods.items():
                        runs[name].append(fn())
                for name, reps in runs.items():
                    for r in reps:
                        r["inertia"] = inertia(X, r.pop("centroids"))
                    results.append(dict(case="%dx%d k=%d" % (n, d, k), init=init, method=name, runs=reps))
                    print("  %-16s %-5s %-14s %s" % (results[-1]["case"], init, name,
                          " ".join("%.3fs/%dit" % (r["seconds"], r["iterations"]) for r in reps)), file=sys.stderr)
    print_table(results)
    if OPTS.json_out:
        with open(OPTS.json_out, "w") as f:
            json.dump({"threads": OPTS.threads, "iters": OPTS.iters, "results": results}, f, indent=1)


def cost(run, init):
    """What a ratio compares: seconds per iteration from the given start, the
    whole clustering from each method's own."""
    return run["seconds"] / max(run["iterations"], 1) if init == "given" else run["seconds"]


def median(values):
    return sorted(values)[len(values) // 2]


def print_table(results):
    print("k-means, %d Lloyd iterations, %d threads for every method, %d interleaved repeats"
          % (OPTS.iters, OPTS.threads, OPTS.repeats))
    print("init: own = ours and sklearn k-means++, faiss random rows; given = same k rows for all")
    print("ours/this: per iteration (given) or whole run (own), within each repeat, min-max")
    print()
    print("| case | init | method | seconds (median) | iterations | s/iter | inertia | ours/this | inertia ours/this |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for r in results:
        mine = next(x for x in results
                    if x["case"] == r["case"] and x["init"] == r["init"] and x["method"] == "ours")
        ratios = [cost(a, r["init"]) / cost(b, r["init"]) for a, b in zip(mine["runs"], r["runs"])]
        secs = median([x["seconds"] for x in r["runs"]])
        its = r["runs"][0]["iterations"]
        print("| %s | %s | %s | %.3f | %d | %.4f | %.6e | %.2f-%.2f | %.5f |" % (
            r["case"], r["init"], r["method"], secs, its, secs / max(its, 1), r["runs"][0]["inertia"],
            min(ratios), max(ratios), mine["runs"][0]["inertia"] / r["runs"][0]["inertia"]))


if __name__ == "__main__":
    main()
