#!/usr/bin/env python3
"""The report stage at ablation scale, without training: a study of N
synthetic runs is planned by the real binary, then its study.h5 and metrics.h5
are written here (h5py) as the train and cluster stages would write them,
with LAYERS probe points and two epochs per run and outcomes that depend on
the grid's axes; then `clusterprobe report` is timed and the page measured.

  bench/report_scale.py [--runs 2000] [--layers 10] [--bin build/clusterprobe] [--dir /tmp/cp-report-scale]

Prints one JSON line: runs, layers, metric rows, report seconds, the sizes of
report/index.html and report.md, and the figures drawn."""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time

import h5py
import numpy as np

STUDY = """study: report-scale
output: {out}
grid:
  dataset: [synthetic/gmm, synthetic/synthclust]
  architecture: [mlp]
  normalization: [batch, layer, none]
  seed: [{seeds}]
train: {{epochs: 1}}
extract: {{split: test, layers: all}}
cluster: {{methods: [kmeans], restarts: 3}}
metrics: [ami, accuracy]
"""


def planned(binary, study):
    """(run id, dataset, normalization, seed) of every planned run."""
    out = subprocess.run([binary, "plan", study], check=True, capture_output=True, text=True).stdout
    runs = []
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]{16})\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)\s", line)
        if m:
            runs.append((m.group(1), m.group(2), m.group(4), int(m.group(7))))
    return runs


def write_index(out, runs, rng):
    text = h5py.string_dtype()
    n = len(runs)
    with h5py.File(os.path.join(out, "study.h5"), "w") as f:
        f.attrs["study"] = "report-scale"
        cols = {"id": [r[0] for r in runs], "dataset": [r[1] for r in runs], "architecture": ["mlp"] * n,
                "normalization": [r[2] for r in runs], "pretraining": ["none"] * n, "status": ["complete"] * n,
                "message": [""] * n, "file": ["runs/%s/activations.h5" % r[0] for r in runs],
                "labels": ["coarse"] * n, "pretrained_from": [""] * n}
        for name, values in cols.items():
            f.create_dataset("runs/" + name, data=values, dtype=text)
        f["runs/seed"] = np.array([r[3] for r in runs], dtype=np.int32)
        f["runs/coarse_test_accuracy"] = rng.uniform(0.8, 0.99, n)
        f["runs/fine_test_accuracy"] = np.full(n, np.nan)


def write_metrics(out, runs, layers, config, rng):
    names = ["input"] + ["layer%d" % i for i in range(1, layers - 1)] + ["logits"]
    cols = {k: [] for k in ("run_id", "layer", "scope", "method", "metric")}
    epochs, values = [], []
    norm_effect = {"batch": 0.05, "layer": 0.02, "none": 0.0}
    for rid, dataset, norm, seed in runs:
        base = 0.3 + norm_effect[norm] + (0.1 if dataset.endswith("gmm") else 0.0) + rng.normal(0, 0.03)
        for epoch in (0, 1):
            for depth, layer in enumerate(names):
                ami = base * (0.5 + depth / len(names)) * (1.0 if epoch else 0.6)
                for scope, metric, v in (("0", "ami", ami), ("1", "ami", ami), ("mean", "ami", ami),
                                         ("global", "ami", ami * 0.9), ("mean", "accuracy", 0.5 + ami / 2),
                                         ("global", "e2e_accuracy", 0.4 + ami / 2)):
                    for k, x in zip(cols, (rid, layer, scope, "kmeans", metric)):
                        cols[k].append(x)
                    epochs.append(epoch)
                    values.append(v)
    text = h5py.string_dtype()
    with h5py.File(os.path.join(out, "metrics.h5"), "w") as f:
        f.attrs["config"] = config
        f.attrs["version"] = "0.1.0"
        for name, v in cols.items():
            f.create_dataset("metrics/" + name, data=v, dtype=text)
        f["metrics/epoch"] = np.array(epochs, dtype=np.int32)
        f["metrics/value"] = np.array(values)
        f.create_dataset("penultimate/run_id", data=[r[0] for r in runs], dtype=text)
        f.create_dataset("penultimate/layer", data=[names[-2]] * len(runs), dtype=text)
    return len(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--layers", type=int, default=10)
    ap.add_argument("--bin", default="build/clusterprobe")
    ap.add_argument("--dir", default="/tmp/cp-report-scale")
    args = ap.parse_args()
    shutil.rmtree(args.dir, ignore_errors=True)
    out = os.path.join(args.dir, "out")
    os.makedirs(out)
    study = os.path.join(args.dir, "study.yaml")
    seeds = (args.runs + 5) // 6
    with open(study, "w") as f:
        f.write(STUDY.format(out=out, seeds=", ".join(str(s) for s in range(seeds))))
    runs = planned(args.bin, study)
    rng = np.random.default_rng(0)
    write_index(out, runs, rng)
    with open(study) as f:
        rows = write_metrics(out, runs, args.layers, f.read(), rng)
    with open(os.path.join(out, ".clusterprobe.study"), "w") as f:
        f.write("report-scale\n")
    start = time.monotonic()
    r = subprocess.run([args.bin, "report", study], capture_output=True, text=True)
    seconds = time.monotonic() - start
    if r.returncode not in (0, 5):
        sys.exit("report failed (exit %d):\n%s" % (r.returncode, r.stdout[-3000:] + r.stderr[-3000:]))
    size = lambda p: os.path.getsize(os.path.join(out, p))
    figures = [n for n in os.listdir(os.path.join(out, "report/fig")) if n.endswith(".svg")]
    print(json.dumps({"runs": len(runs), "layers": args.layers, "metric_rows": rows, "exit": r.returncode,
                      "report_seconds": round(seconds, 2), "index_html_bytes": size("report/index.html"),
                      "report_md_bytes": size("report.md"), "figures": len(figures)}))


if __name__ == "__main__":
    main()
