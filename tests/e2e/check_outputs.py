"""Checks a study's outputs the way an offline analyst reads them (h5py), and
recomputes every stored AMI with scikit-learn from the stored assignments.

usage: check_outputs.py OUT_DIR [--min-ami X] [--layer NAME] [--no-study] [--source ID=PATH]
"""
import argparse
import csv
import math
import os
import sys

import h5py
import numpy as np
from sklearn.metrics import adjusted_mutual_info_score


def fail(msg):
    print("check_outputs: FAIL: " + msg)
    sys.exit(1)


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--min-ami", type=float, default=None)
    ap.add_argument("--layer", default="fc2")
    ap.add_argument("--no-study", action="store_true")
    ap.add_argument("--source", action="append", default=[], help="RUN_ID=PATH of an analysed file")
    args = ap.parse_args()

    run_files = dict(s.split("=", 1) for s in args.source)
    if not args.no_study:
        with h5py.File(os.path.join(args.out, "study.h5"), "r") as f:
            ids = [text(x) for x in f["/runs/id"][:]]
            status = [text(x) for x in f["/runs/status"][:]]
            files = [text(x) for x in f["/runs/file"][:]]
            if not ids:
                fail("study.h5 lists no runs")
            for i, s, p in zip(ids, status, files):
                if s != "complete":
                    fail(f"run {i} has status {s}")
                path = os.path.join(args.out, p)
                with h5py.File(path, "r") as r:
                    if int(r.attrs["complete"]) != 1:
                        fail(f"{path} is not marked complete")
                    if text(r.attrs["run_id"]) != i:
                        fail(f"{path} has run_id {text(r.attrs['run_id'])}")
                    n = r["/labels/fine"].shape[0]
                    for g in r:
                        if g.startswith("epoch_"):
                            for name, ds in r[g].items():
                                if ds.shape[0] != n or ds.dtype != np.float32:
                                    fail(f"{path}:/{g}/{name} has shape {ds.shape} {ds.dtype}")
                run_files[i] = path

    with h5py.File(os.path.join(args.out, "metrics.h5"), "r") as f:
        m = {k: f["/metrics"][k][:] for k in f["/metrics"]}
        cols = {k: [text(x) for x in v] if v.dtype.kind in "OS" else list(v) for k, v in m.items()}
        rows = list(zip(*(cols[k] for k in ["run_id", "layer", "epoch", "scope", "method", "metric", "value"])))
        value = {r[:6]: r[6] for r in rows}
        checked = 0
        for name, ds in f["/assignments"].items():
            if name.endswith("_rows"):
                continue
            a = ds.attrs
            key = (text(a["run_id"]), text(a["layer"]), int(a["epoch"]), text(a["scope"]), text(a["method"]), "ami")
            if key not in value:
                continue
            rowsel = f["/assignments"][name + "_rows"][:]
            path = run_files.get(key[0])
            if path is None:
                continue
            with h5py.File(path, "r") as r:
                fine = r["/labels/fine"][:][rowsel]
            ref = adjusted_mutual_info_score(fine, ds[:])
            if abs(ref - value[key]) > 1e-9:
                fail(f"AMI {key}: stored {value[key]!r}, sklearn {ref!r}")
            checked += 1
        if run_files and checked == 0:
            fail("no AMI could be recomputed from the stored assignments")
        print(f"check_outputs: {checked} stored AMIs equal sklearn's to 1e-9")

    with open(os.path.join(args.out, "metrics.csv")) as fh:
        csv_rows = list(csv.DictReader(fh))
    if len(csv_rows) != len(rows):
        fail(f"metrics.csv has {len(csv_rows)} rows, metrics.h5 {len(rows)}")
    for c in csv_rows:
        key = (c["run_id"], c["layer"], int(c["epoch"]), c["scope"], c["method"], c["metric"])
        v = value[key]
        if not (math.isclose(float(c["value"]), v, rel_tol=0, abs_tol=0) or (math.isnan(v) and c["value"].lower() == "nan")):
            fail(f"csv value {c['value']} != h5 {v} for {key}")

    if args.min_ami is not None:
        finals = {}
        for r in rows:
            if r[1] == args.layer and r[3] == "mean" and r[5] == "ami":
                finals.setdefault(r[0], {})[r[2]] = r[6]
        if not finals:
            fail(f"no mean AMI for layer {args.layer}")
        for run, by_epoch in finals.items():
            last = max(by_epoch)
            if by_epoch[last] <= args.min_ami:
                fail(f"run {run}: {args.layer} mean AMI {by_epoch[last]:.4f} <= {args.min_ami}")
            print(f"check_outputs: run {run} {args.layer} mean AMI {by_epoch[last]:.4f}")
    if not os.path.exists(os.path.join(args.out, "report.md")):
        fail("report.md missing")
    print("check_outputs: OK")


if __name__ == "__main__":
    main()
