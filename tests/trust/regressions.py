"""Failure modes the binary must come through with a documented exit code and
one message, never a hang, a signal or a file that looks complete: a rank that
fails to write after the last agreement, full and read-only disks, a second
writer on the same output and a stale lock of a dead holder, another study on
the same output, an edited hierarchy or an incomplete run file taken for a
finished one, corrupt or hostile inputs (IDX and HDF5 headers claiming huge
sizes, NaN activations, odd layer names, bad labels), and mistakes in the study
file or command line. Each case runs the real binary (2 ranks where ranks
matter). `regressions.py --list` names them; `regressions.py NAME` runs one
(ctest registers each as trust.NAME, label `trust`).

Exit 0: passed; 1: failed; 77: skipped (a tmpfs could not be mounted)."""
import sys

from casefile import SKIP, listing_requested, registry, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import gzip
import os
import shutil
import struct
import subprocess
import threading
import time

import h5py
import numpy as np

from harness import (activations, blobs, check, expect_error, expect_ok, fill,
                     run, sound, study)

CASES, case = registry()


def trained(s, runs=1, name="trust", extra=""):
    """A study trained into <scratch>/out; returns its study file."""
    path = study(s / "study.yaml", s / "out", name=name, runs=runs, extra=extra)
    expect_ok(run(["train", path]))
    return path


def text(path):
    with open(path) as f:
        return f.read()


# 1. A rank-0 failure after the last agreement used to hang the other ranks.
@case
def rank0_metrics_write_fails(s):
    path = trained(s)
    os.makedirs(s / "out/metrics.h5.tmp/blocker")  # rank 0 cannot create its tmp file
    expect_error(run(["cluster", path], timeout=60), 4, "metrics.h5")


@case
def rank0_study_index_write_fails(s):
    path = study(s / "study.yaml", s / "out")
    os.makedirs(s / "out/study.h5.tmp/blocker")
    with open(s / "out/.clusterprobe.study", "w") as f:  # this study's directory, not a stranger's
        f.write("trust\n")
    expect_error(run(["run", path], timeout=60), 4, "study.h5")
    check(not os.path.exists(s / "out/metrics.h5"), "clustered after a failed train stage")


def trained_on_tmpfs(s, cluster=False):
    """A trained (and clustered) study copied onto a small tmpfs of its own:
    (the tmpfs, the study file pointing there), or None where nothing can be mounted."""
    fs = s.tmpfs("fs", "8m")
    if fs is None:
        return None
    path = trained(s)
    if cluster:
        expect_ok(run(["cluster", path]))
    shutil.copytree(s / "out", os.path.join(fs, "out"))
    return fs, study(s / "fs.yaml", os.path.join(fs, "out"))


@case
def full_disk_during_cluster(s):
    mounted = trained_on_tmpfs(s)
    if mounted is None:
        return SKIP
    fs, _ = mounted
    fill(fs, leave=40000)
    expect_error(run(["cluster", s / "fs.yaml"], timeout=60), 4, "No space left on device")
    check(not os.path.exists(os.path.join(fs, "out/metrics.h5")), "a metrics file was left")


@case
def read_only_file_system(s):
    fs = s.tmpfs("fs", "16m")
    if fs is None:
        return SKIP
    path = study(s / "fs.yaml", os.path.join(fs, "out"))
    expect_ok(run(["train", path]))
    subprocess.run(["mount", "-o", "remount,ro", fs], check=True)
    expect_error(run(["run", path], timeout=60), 4, "Read-only file system")


# 2. Editing a hierarchy kept the run id.
@case
def hierarchy_edit_makes_a_new_run(s):
    os.makedirs(s / "h")
    classes = "classes: [T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot]\n"
    def hierarchy(a, b):
        with open(s / "h/mine.yaml", "w") as f:
            f.write("name: mine\n" + classes + "superclasses:\n  one: [%s]\n  two: [%s]\n" % (a, b))
    hierarchy("T-shirt/top, Shirt", "Pullover, Coat")
    with open(s / "study.yaml", "w") as f:
        f.write("""study: h
output: %s
grid: {dataset: [fmnist/mine], architecture: [mlp], normalization: [none]}
train: {epochs: 1, max_samples: 400, threads: 1}
extract: {max_samples: 200}
cluster: {restarts: 1}
data: {hierarchy_dir: %s}
""" % (s / "out", s / "h"))
    expect_ok(run(["run", s / "study.yaml"]))
    hierarchy("T-shirt/top, Coat", "Pullover, Shirt")
    plan = run(["plan", s / "study.yaml"], ranks=0)
    expect_ok(plan)
    check(" todo " in plan.out and " complete " not in plan.out, "the edited hierarchy plans no new run: %r" % plan)
    again = run(["run", s / "study.yaml"])
    expect_ok(again)
    check("complete: skipped" not in again.out, "the old run was reused: %r" % again)


# 3. Two writers on one output directory.
@case
def second_writer_is_refused(s):
    path = study(s / "study.yaml", s / "out", runs=3, epochs=30)
    first = {}
    # Long enough (seconds) that the second command certainly starts while the first works.
    t = threading.Thread(target=lambda: first.update(r=run(["run", path, "train.epochs=3000"], timeout=300)))
    t.start()
    lock = s / "out/.clusterprobe.lock"
    for _ in range(600):
        if os.path.exists(lock) and os.path.getsize(lock) > 0:
            break
        time.sleep(0.05)
    second = run(["run", path, "train.epochs=3000"], timeout=120)
    t.join()
    expect_error(second, 4, "in use by", "pid=")
    expect_ok(first["r"])
    with h5py.File(s / "out/study.h5") as f:
        status = [v.decode() for v in f["runs/status"][:]]
    check(status == ["complete"] * 3, "study.h5 says %s" % status)


@case
def dead_holders_lock_is_taken_over(s):
    path = study(s / "study.yaml", s / "out")
    os.makedirs(s / "out")
    with open(s / "out/.clusterprobe.lock", "w") as f:  # left by a process that was killed
        f.write("host=%s pid=999999 start=2026-01-01T00:00:00Z\n" % os.uname().nodename)
    expect_ok(run(["train", path]))


@case
def another_study_is_refused(s):
    trained(s, name="first")
    other = study(s / "other.yaml", s / "out", name="second")
    r = run(["run", other])
    expect_error(r, 2, "first", "second")
    with h5py.File(s / "out/study.h5") as f:
        check(f.attrs["study"] in ("first", b"first"), "the first study's index was replaced")


# 4. A full disk made rank 0 segfault at shutdown.
@case
def full_disk_during_train(s):
    fs = s.tmpfs("fs", "8m")
    if fs is None:
        return SKIP
    path = study(s / "fs.yaml", os.path.join(fs, "out"), runs=2)
    fill(fs, leave=300000)
    r = run(["train", path], timeout=120)
    sound(r)
    check(r.rc in (4, 5), "expected an I/O error or failed runs, got %r" % r)
    check("No space left on device" in r.out or "write failed" in r.out, "no reason given: %r" % r)


# 5. report on a full disk replaced a good report with an empty one.
@case
def report_on_full_disk_keeps_the_old_one(s):
    mounted = trained_on_tmpfs(s, cluster=True)
    if mounted is None:
        return SKIP
    fs, _ = mounted
    with open(os.path.join(fs, "out/report.md"), "w") as f:
        f.write("the good old report\n")
    fill(fs, leave=0)
    expect_error(run(["report", s / "fs.yaml"]), 4, "report.md")
    check(text(os.path.join(fs, "out/report.md")) == "the good old report\n", "the old report was lost")


# 6. A file that is not complete was skipped as complete.
@case
def incomplete_run_files_are_redone(s):
    path = trained(s, runs=2)
    files = sorted(os.path.join(s / "out/runs", d, "activations.h5") for d in os.listdir(s / "out/runs"))
    with h5py.File(files[0], "r+") as f:
        f.attrs["complete"] = np.int64(0)
    with open(files[1], "r+b") as f:
        f.truncate(os.path.getsize(files[1]) // 2)
    plan = run(["plan", path], ranks=0)
    check(plan.out.count(" redo ") == 2, "plan does not say redo: %r" % plan)
    r = run(["run", path])
    expect_ok(r)
    check(r.out.count("is not complete") == 2 and "complete: skipped" not in r.out, "not redone: %r" % r)
    for p in files:
        with h5py.File(p) as f:
            check(f.attrs["complete"] == 1, p + " is still incomplete")
        check(os.path.exists(p + ".incomplete"), "the old file was not kept aside")


# 7. analyze -o pasted the path into YAML.
@case
def analyze_output_path_is_literal(s):
    src = activations(s / "acts.h5", {"fc": blobs()})
    for name in ['with "quote', "with\ttab", "with\nstudy: injected"]:
        out = os.path.join(s.path, name)
        expect_ok(run(["analyze", src, "-o", out, "cluster.restarts=1"]))
        check(os.path.isfile(os.path.join(out, "metrics.h5")), "no metrics in %r" % out)
    check(not os.path.exists(s / "injected"), "a key was injected")


# 8. A header decided the allocation.
def fmnist_copy(s, image_count=None, label_count=None):
    src = "/usr/share/datasets/fashion-mnist"
    os.makedirs(s / "fm")
    for f in os.listdir(src):
        os.symlink(os.path.join(src, f), os.path.join(s / "fm", f))
    if image_count is not None:
        os.remove(s / "fm/t10k-images-idx3-ubyte.gz")
        with gzip.open(s / "fm/t10k-images-idx3-ubyte.gz", "wb") as f:
            f.write(struct.pack(">IIII", 0x803, image_count, 28, 28) + bytes(784 * 10))
    if label_count is not None:
        os.remove(s / "fm/t10k-labels-idx1-ubyte.gz")
        with open(s / "fm/t10k-labels-idx1-ubyte.gz", "wb") as f:  # plain: gzopen reads it too
            f.write(struct.pack(">II", 0x801, label_count) + bytes(5000))
    path = study(s / "study.yaml", s / "out", extra="")
    with open(path, "w") as f:
        f.write("""study: fm
output: %s
grid: {dataset: [fmnist/pairs-similar], architecture: [mlp], normalization: [none]}
train: {epochs: 1, max_samples: 100, threads: 1}
data: {fmnist_dir: %s}
""" % (s / "out", s / "fm"))
    return path


@case
def idx_header_claiming_80m_images(s):
    r = run(["train", fmnist_copy(s, image_count=80_000_000)], timeout=60)
    expect_error(r, 3, "t10k-images-idx3-ubyte.gz")


@case
def idx_labels_claiming_2_31(s):
    r = run(["train", fmnist_copy(s, label_count=2 ** 31)], timeout=60)
    expect_error(r, 3, "t10k-labels-idx1-ubyte.gz", "truncated")


@case
def hdf5_declaring_a_huge_shape(s):
    with h5py.File(s / "huge.h5", "w") as f:
        f["labels/fine"] = np.arange(40, dtype=np.int32) % 4
        f["labels/coarse"] = (np.arange(40, dtype=np.int32) % 4) // 2
        f.create_dataset("epoch_0/fc", shape=(40, 2 ** 40), dtype="f4", chunks=(1, 1024))
    expect_error(run(["analyze", s / "huge.h5"]), 3, "huge.h5", "/epoch_0/fc")
    with h5py.File(s / "huge_labels.h5", "w") as f:
        f.create_dataset("labels/fine", shape=(2 ** 40,), dtype="i4", chunks=(4096,))
        f["labels/coarse"] = np.zeros(4, dtype=np.int32)
        f["epoch_0/fc"] = np.zeros((4, 2), dtype=np.float32)
    expect_error(run(["analyze", s / "huge_labels.h5"]), 3, "huge_labels.h5", "/labels/fine")


# 9. Failed runs went missing and the exit code said success.
@case
def failed_runs_are_reported_with_exit_5(s):
    path = study(s / "study.yaml", s / "out", runs=2, extra="")
    # A learning rate that diverges in the first batch: the runs fail, the stage goes on.
    r = run(["run", path, "train.lr=1e30", "train.momentum=0"])
    sound(r)
    check(r.rc == 5, "expected exit 5 (finished, runs failed): %r" % r)
    report = text(s / "out/report.md")
    check("Not complete" in report and "diverged" in report, "the report does not list the failure:\n" + report)


@case
def cluster_before_train(s):
    path = study(s / "study.yaml", s / "out")
    expect_error(run(["cluster", path]), 3, "run `train` first")


@case
def tiny_layers_fail_as_items(s):
    for rows in (0, 1):
        src = activations(s / ("rows%d.h5" % rows), {"fc": blobs()[:rows]}, fine=[0] * rows, coarse=[0] * rows)
        r = run(["analyze", src])
        sound(r)
        check(r.rc == 5, "a %d-row layer must fail as an item (exit 5): %r" % (rows, r))
        report = text(s / ("rows%d-analysis/report.md" % rows))
        check("%d row(s): nothing to cluster" % rows in report, "not reported:\n" + report)


# 10. NaN activations, odd layer names, internal assertions.
@case
def nan_matrix_fails_its_item_only(s):
    bad = blobs()
    bad[3, 2] = np.nan
    src = activations(s / "acts.h5", {"good": blobs(), "bad": bad})
    r = run(["analyze", src, "cluster.restarts=1"])
    sound(r)
    check(r.rc == 5, "expected exit 5: %r" % r)
    report = text(s / "acts-analysis/report.md")
    check("acts.h5" in report and "/epoch_0/bad" in report and "row 3, column 2" in report,
          "the failure does not name file, layer, epoch and place:\n" + report)
    with h5py.File(s / "acts-analysis/metrics.h5") as f:
        layers = {v.decode() for v in f["metrics/layer"][:]}
    check("good" in layers, "the good layer was not scored")


@case
def layer_names_with_tabs_and_newlines(s):
    src = activations(s / "acts.h5", {"a\tb": blobs(), "c\nd": blobs(seed=1)})
    r = run(["analyze", src, "cluster.restarts=1"])
    expect_ok(r)
    with h5py.File(s / "acts-analysis/metrics.h5") as f:
        layers = {v.decode() for v in f["metrics/layer"][:]}
    check({"a\tb", "c\nd"} <= layers, "layers lost: %s" % layers)


@case
def bad_labels_are_input_errors(s):
    neg = activations(s / "neg.h5", {"fc": blobs()}, fine=[-1] + [i % 4 for i in range(1, 80)])
    expect_error(run(["analyze", neg]), 3, "neg.h5", "negative label")
    one = activations(s / "one.h5", {"fc": blobs()}, fine=[0] * 80, coarse=[0] * 80)
    r = run(["analyze", one, "metrics=[ami, nc1]"])
    sound(r)
    check(r.rc == 5, "one fine class: the item fails, exit 5: %r" % r)


# 11. Study-file and command-line mistakes.
@case
def missing_study_file(s):
    expect_error(run(["run", s / "nope.yaml"]), 2, "nope.yaml", "no such study file")
    expect_error(run(["run", s.path]), 2, "is a directory")


@case
def uncreatable_output_directory(s):
    with open(s / "file", "w") as f:
        f.write("not a directory\n")
    path = study(s / "study.yaml", s / "file/out")
    expect_error(run(["run", path]), 4, "file/out")


@case
def huge_integer_names_its_range(s):
    path = study(s / "study.yaml", s / "out")
    r = run(["plan", path, "train.batch_size=1000000000000"], ranks=0)
    expect_error(r, 2, "train.batch_size", "must be in [1, 2147483647]")


@case
def fine_class_in_two_superclasses(s):
    os.makedirs(s / "h")
    with open(s / "h/dup.yaml", "w") as f:
        f.write("name: dup\nclasses: [a, b, c, d]\nsuperclasses:\n  x: [a, 1]\n  y: [b, c]\n")
    with open(s / "study.yaml", "w") as f:
        f.write("study: d\noutput: %s\ngrid: {dataset: [fmnist/dup], architecture: [mlp], "
                "normalization: [none]}\ndata: {hierarchy_dir: %s}\n" % (s / "out", s / "h"))
    expect_error(run(["plan", s / "study.yaml"], ranks=0), 3, "dup.yaml:5", "already in superclass 'x'")


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
