#!/usr/bin/python3
"""Training throughput of the quickstart networks: ClusterProbe (LibTorch, C++)
against the same network in Python PyTorch (Debian's python3-torch), same
data, batch, optimiser and thread count.

The Python side rebuilds the CNN and MLP of src/models/baselines.cpp layer for
layer (conv3x3 -> norm -> ReLU -> maxpool2 twice, Linear 128 -> norm -> ReLU,
head; or Linear 256 / 128 with norms), on Fashion-MNIST's first SAMPLES
training images, normalised as ClusterProbe does, with coarse labels (5
superclasses), SGD with momentum 0.9 and weight decay 5e-4, batch 128, a
fresh permutation per epoch. Both report the images/s of their last epoch.

One measurement runs ours and then Python in turn (A B A B ...), REPEATS
times, and prints one JSON line per pair:
  /usr/bin/python3 bench/train_vs_pytorch.py --bin build/clusterprobe --arch cnn --norm batch --threads 1
"""
import argparse
import gzip
import json
import os
import re
import subprocess
import sys
import tempfile
import time

ARGS = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS.add_argument("--bin", default="build/clusterprobe")
ARGS.add_argument("--study", default=os.path.join(os.path.dirname(__file__), "..", "configs", "quickstart.yaml"))
ARGS.add_argument("--arch", default="cnn", choices=["cnn", "mlp"])
ARGS.add_argument("--norm", default="batch", choices=["batch", "none"])
ARGS.add_argument("--threads", type=int, default=1)
ARGS.add_argument("--samples", type=int, default=19200)
ARGS.add_argument("--epochs", type=int, default=2)
ARGS.add_argument("--repeats", type=int, default=3)
ARGS.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
ARGS.add_argument("--python-only", action="store_true", help=argparse.SUPPRESS)
OPTS = ARGS.parse_args()

# ClusterProbe's Fashion-MNIST normalisation (src/data/fmnist.cpp).
MEAN, STD = 0.2860, 0.3530


def ours():
    with tempfile.TemporaryDirectory(prefix="cp-train-bench-") as out:
        cmd = [OPTS.bin, "train", OPTS.study, "output=" + out,
               "grid.dataset=[fmnist/pairs-similar]", "grid.architecture=[%s]" % OPTS.arch,
               "grid.normalization=[%s]" % OPTS.norm, "train.epochs=%d" % OPTS.epochs,
               "train.max_samples=%d" % OPTS.samples, "train.threads=%d" % OPTS.threads,
               "extract.max_samples=200", "extract.layers=[logits]"]
        env = dict(os.environ, OMP_NUM_THREADS=str(OPTS.threads))
        log = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env)
        rates = re.findall(r"([0-9.]+) images/s on", log.stdout + log.stderr)
        if not rates:
            sys.exit("no images/s in the log:\n" + log.stdout + log.stderr)
        return float(rates[-1])


def python_torch():
    # A child process: torch's thread pools are sized once per process.
    cmd = [sys.executable, __file__, "--python-only", "--arch", OPTS.arch, "--norm", OPTS.norm,
           "--threads", str(OPTS.threads), "--samples", str(OPTS.samples), "--epochs", str(OPTS.epochs),
           "--data", OPTS.data]
    env = dict(os.environ, OMP_NUM_THREADS=str(OPTS.threads))
    return float(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout)


def idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    import numpy as np
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def train_in_python():
    import numpy as np
    import torch
    from torch import nn
    torch.set_num_threads(OPTS.threads)
    torch.manual_seed(0)
    images = idx(os.path.join(OPTS.data, "train-images-idx3-ubyte.gz"))[:OPTS.samples]
    fine = idx(os.path.join(OPTS.data, "train-labels-idx1-ubyte.gz"))[:OPTS.samples].astype(np.int64)
    x = torch.from_numpy(((images.astype(np.float32) / 255.0 - MEAN) / STD)[:, None, :, :].copy())
    y = torch.from_numpy(fine // 2)  # 5 superclasses; the mapping does not change the cost

    def norm(n, image):
        if OPTS.norm == "none":
            return nn.Identity()
        return nn.BatchNorm2d(n) if image else nn.BatchNorm1d(n)

    if OPTS.arch == "cnn":
        model = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), norm(32, True), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), norm(64, True), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(64 * 7 * 7, 128), norm(128, False), nn.ReLU(), nn.Linear(128, 5))
    else:
        model = nn.Sequential(nn.Flatten(), nn.Linear(784, 256), norm(256, False), nn.ReLU(),
                              nn.Linear(256, 128), norm(128, False), nn.ReLU(), nn.Linear(128, 5))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    rate = 0.0
    for _ in range(OPTS.epochs):
        t0 = time.perf_counter()
        order = torch.randperm(OPTS.samples)
        for start in range(0, OPTS.samples, 128):
            batch = order[start:start + 128]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[batch]), y[batch])
            loss.backward()
            opt.step()
        rate = OPTS.samples / (time.perf_counter() - t0)
    print(rate)


def main():
    if OPTS.python_only:
        train_in_python()
        return
    for rep in range(OPTS.repeats):
        a = ours()
        b = python_torch()
        print(json.dumps({"arch": OPTS.arch, "norm": OPTS.norm, "threads": OPTS.threads, "repeat": rep,
                          "ours": round(a, 1), "pytorch": round(b, 1), "ratio": round(a / b, 3)}), flush=True)


if __name__ == "__main__":
    main()
