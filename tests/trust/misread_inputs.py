"""Inputs that used to be read as something they are not: a hierarchy whose
class names are not the dataset's (mapped by position, so "tops" became Bag +
Shirt), an activations file that says it is incomplete, or one whose chunks
were never written (scored with exit 0). Each case runs the real binary; see
casefile.py for how they are listed and run."""
import sys

from casefile import listing_requested, registry, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import glob
import os
import re

import h5py
import numpy as np

from harness import activations, blobs, check, expect_error, expect_ok, run, study
from regressions import text

CASES, case = registry()


FMNIST = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
          "Ankle boot"]
PAIRS = "superclasses:\n  tops: [T-shirt/top, Shirt]\n  outerwear: [Pullover, Coat]\n" \
        "  shoes: [Sandal, Sneaker]\n  long: [Trouser, Dress]\n  accessories: [Bag, Ankle boot]\n"


def hierarchy_study(s, folder, classes, superclasses=PAIRS):
    """A study of fmnist/mine whose hierarchy (mine.yaml in `folder`) lists `classes`."""
    os.makedirs(s / folder)
    with open(os.path.join(s / folder, "mine.yaml"), "w") as f:
        f.write("name: mine\nclasses: [%s]\n%s" % (", ".join(classes), superclasses))
    path = s / (folder + ".yaml")
    with open(path, "w") as f:
        f.write("study: h\noutput: %s\ngrid: {dataset: [fmnist/mine], architecture: [mlp], normalization: [none]}\n"
                "data: {hierarchy_dir: %s}\n" % (s / "out", s / folder))
    return path


def run_ids(r):
    return re.findall(r"^([0-9a-f]{16}) ", r.out, re.M)


# Issue 21, item 6: classes are matched by name, so a `classes:` list in
# another order is the same hierarchy (the same labels, the same run id)
# instead of silently relabelling the data.
@case
def hierarchy_classes_in_another_order(s):
    listed = run(["plan", hierarchy_study(s, "listed", FMNIST)], ranks=0)
    expect_ok(listed)
    alphabetical = run(["plan", hierarchy_study(s, "alphabetical", sorted(FMNIST))], ranks=0)
    expect_ok(alphabetical)
    check(run_ids(listed) and run_ids(listed) == run_ids(alphabetical),
          "an alphabetised classes: list is another hierarchy: %r\n%r" % (listed, alphabetical))


@case
def hierarchy_class_not_in_dataset(s):
    cifar = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    path = hierarchy_study(s, "cifar", cifar, "superclasses:\n  a: [airplane, automobile]\n  b: [bird, cat]\n")
    expect_error(run(["plan", path], ranks=0), 3, "mine.yaml:2", "'airplane' is not a class of Fashion-MNIST",
                 "T-shirt/top")
    typo = [c if c != "Sneaker" else "Sneakers" for c in FMNIST]
    path = hierarchy_study(s, "typo", typo, "superclasses:\n  shoes: [Sandal, Sneakers]\n  tops: [T-shirt/top, Shirt]\n")
    expect_error(run(["plan", path], ranks=0), 3, "mine.yaml:2", "'Sneakers'", "did you mean 'Sneaker'")
    # The BREEDS form (no classes: list): the line of the superclass naming it.
    with open(s / "typo/mine.yaml", "w") as f:
        f.write("name: mine\nsuperclasses:\n  shoes: [Sandal, Sneaker]\n  tops: [T-shirt/top, Shrit]\n")
    expect_error(run(["run", path], timeout=60), 3, "mine.yaml:4", "'Shrit'", "did you mean 'Shirt'")


def incomplete_file(path):
    return activations(path, {"fc": blobs()}, attrs={"complete": 0})


# Issue 21, item 7: `analyze` scored the .tmp file a stopped training leaves.
@case
def analyze_refuses_an_incomplete_file(s):
    src = incomplete_file(s / "activations.h5.tmp")
    expect_error(run(["analyze", src, "-o", s / "out"]), 3, "activations.h5.tmp", "complete=0",
                 "--allow-incomplete")
    check(not os.path.exists(s / "out/metrics.h5"), "metrics written for a refused file")
    r = run(["analyze", src, "-o", s / "out", "--allow-incomplete", "cluster.restarts=1"])
    expect_ok(r)
    check("incomplete" in r.out, "the log does not say the file is incomplete: %r" % r)
    for page in ("report.md", "report/index.html"):
        shown = text(os.path.join(s / "out", page))
        check("activations.h5.tmp" in shown and "incomplete" in shown, "%s does not say the file was incomplete" % page)
    # Another tool's file has no complete attribute at all: accepted as before.
    expect_ok(run(["analyze", activations(s / "other.h5", {"fc": blobs()}), "cluster.restarts=1"]))


@case
def analyze_refuses_unwritten_chunks(s):
    src = s / "partial.h5"
    rows = blobs(n=80)
    with h5py.File(src, "w") as f:
        f["labels/fine"] = (np.arange(80) % 4).astype(np.int32)
        f["labels/coarse"] = (np.arange(80) % 4 // 2).astype(np.int32)
        d = f.create_dataset("epoch_0/fc", shape=rows.shape, dtype=np.float32, chunks=(20, rows.shape[1]))
        d[:40] = rows[:40]  # chunks 3 and 4 never written: they would read as zeros
    expect_error(run(["analyze", src]), 3, "partial.h5", "/epoch_0/fc", "2 of 4 chunks")
    with h5py.File(src, "a") as f:
        f["epoch_0/fc"][40:] = rows[40:]
    expect_ok(run(["analyze", src, "cluster.restarts=1"]))


# A hierarchy that leaves classes out uses the rest (it used to pass `plan`
# and fail in training): trained, its file holds only the classes it names.
@case
def hierarchy_with_fewer_classes_than_labels(s):
    eight = [c for c in FMNIST if c not in ("Bag", "Ankle boot")]
    path = hierarchy_study(s, "eight", eight, PAIRS.replace("  accessories: [Bag, Ankle boot]\n", ""))
    with open(path, "a") as f:
        f.write("train: {epochs: 1, max_samples: 400, threads: 1}\nextract: {max_samples: 400}\n"
                "cluster: {restarts: 1, max_iter: 20}\n")
    expect_ok(run(["run", path], timeout=300))
    (acts,) = [os.path.join(d, "activations.h5") for d in glob.glob(str(s / "out/runs/*"))]
    with h5py.File(acts) as f:
        fine, coarse = set(f["labels/fine"][:].tolist()), set(f["labels/coarse"][:].tolist())
    check(fine == set(range(8)) and coarse == set(range(4)), "classes used: fine %s, coarse %s" % (fine, coarse))


# 300 probe samples asked of a 3-image test set became 3, and 3 rows of 3
# classes clustered perfectly by construction (AMI 1.0, exit 0).
@case
def too_few_rows_per_class_fail_as_items(s):
    r = run(["analyze", activations(s / "three.h5", {"fc": blobs(n=3, classes=3)}, coarse=[0, 0, 0])])
    expect_ok(r, 5)
    report = text(s / "three-analysis/report.md")
    check("3 rows for 3 fine classes: too few to score" in report, "not reported:\n" + report)
    path = study(s / "study.yaml", s / "out", extra="extract: {max_samples: 300}")
    with open(path) as f:
        small = f.read().replace("test_per_fine: 20", "test_per_fine: 1")
    with open(path, "w") as f:
        f.write(small)
    r = run(["run", path], timeout=300)
    expect_ok(r, 5)
    check("extract.max_samples=300 but the test split has 4 samples" in r.out, "the cap is not said: %r" % r)


@case
def label_columns_of_other_lengths_name_both(s):
    short_fine = activations(s / "fine.h5", {"fc": blobs()}, fine=[i % 4 for i in range(70)],
                             coarse=[(i % 4) // 2 for i in range(80)])
    expect_error(run(["analyze", short_fine]), 3, "fine.h5", "/labels/fine has 70 rows and /labels/coarse 80")


@case
def analyze_says_what_a_non_file_is(s):
    os.makedirs(s / "adir")
    os.mkfifo(s / "afifo")
    for path, kind in ((s / "adir", "a directory"), (s / "afifo", "a FIFO"), ("/dev/zero", "a character device")):
        expect_error(run(["analyze", path], timeout=30), 3, path, "is " + kind, "must be a regular file")


@case
def labels_that_are_not_a_hierarchy(s):
    coarse = [(i % 4) // 2 for i in range(80)]
    coarse[5] = 1  # fine class 1 is under coarse 0 everywhere else
    expect_error(run(["analyze", activations(s / "two.h5", {"fc": blobs()}, coarse=coarse)]), 3,
                 "two.h5", "fine class 1 is under coarse class 0", "and under 1 at row 5")
    src = activations(s / "pred.h5", {"fc": blobs()})
    with h5py.File(src, "a") as f:
        f["labels/predicted_coarse"] = np.full(80, 99, dtype=np.int32)
    expect_error(run(["analyze", src]), 3, "/labels/predicted_coarse", "value 99", "not a superclass")


# Rows scaled by 1e19 overflow float32 distances: every score was 0, exit 0.
@case
def float32_overflow_fails_its_item(s):
    src = activations(s / "big.h5", {"fc": blobs() * 1e19})
    for ranks, extra in ((0, []), (2, ["cluster.max_item_memory=1KiB"])):  # in memory, distributed
        out = s / ("out%d" % ranks)
        r = run(["analyze", src, "-o", out, "cluster.restarts=1"] + extra, ranks=ranks)
        expect_ok(r, 5)
        check("too large for float32 distances" in text(os.path.join(out, "report.md")), "not reported: %r" % r)
    expect_ok(run(["analyze", src, "-o", s / "l2", "cluster.restarts=1", "cluster.preprocess=[l2]"]))


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
