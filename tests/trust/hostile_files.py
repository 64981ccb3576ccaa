"""Hostile files and directories: a FIFO, a device or a directory where an
input belongs (the study file, the data, checkpoints), symlinks planted at the
names outputs are written under and at the lock, a directory that is not a
study's, an empty IDX split, a mistyped subcommand, synthetic sizes beyond
reason. None may hang, write through a link, adopt the user's files or grow
without bound. Each case runs the real binary; see casefile.py for how they
are listed and run."""
import sys

from casefile import listing_requested, registry, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import os
import struct

import h5py

from harness import activations, blobs, check, expect_error, expect_ok, run, study
from regressions import fmnist_copy, text, trained

CASES, case = registry()


@case
def non_regular_study_files_fail_fast(s):
    os.mkfifo(s / "fifo.yaml")
    expect_error(run(["plan", s / "fifo.yaml"], ranks=0, timeout=20), 2, "fifo.yaml", "FIFO")
    expect_error(run(["run", s / "fifo.yaml"], timeout=30), 2, "fifo.yaml", "FIFO")
    expect_error(run(["plan", "/dev/zero"], ranks=0, timeout=20), 2, "/dev/zero", "device")
    with open(s / "big.yaml", "w") as f:
        f.write("study: big\n" + "#" * (17 << 20) + "\n")
    expect_error(run(["plan", s / "big.yaml"], ranks=0, timeout=20), 2, "big.yaml", "16 MiB")


@case
def non_regular_input_files_fail_fast(s):
    path = fmnist_copy(s)
    os.remove(s / "fm/t10k-images-idx3-ubyte.gz")
    os.mkfifo(s / "fm/t10k-images-idx3-ubyte.gz")
    for cmd, ranks in (("plan", 0), ("status", 0), ("run", 2)):
        expect_error(run([cmd, path], ranks=ranks, timeout=30), 3, "t10k-images-idx3-ubyte.gz", "FIFO")
    os.mkfifo(s / "acts.h5")
    expect_error(run(["analyze", s / "acts.h5"], timeout=30), 3, "acts.h5", "FIFO")
    os.makedirs(s / "dir.h5")
    expect_error(run(["analyze", s / "dir.h5"], timeout=30), 3, "dir.h5", "directory")


def victims(s, names):
    """A victim file per name, outside the output, and a dangling target beside each."""
    os.makedirs(s / "victims", exist_ok=True)
    out = {}
    for i, name in enumerate(names):
        v = s / ("victims/%d" % i)
        with open(v, "w") as f:
            f.write("victim %d\n" % i)
        out[name] = v
    return out


def check_victims(s, planted):
    for name, v in planted.items():
        check(text(v) == "victim %s\n" % os.path.basename(v), "written through the symlink at " + name)
        check(not os.path.exists(v + ".dangling"), "created through the dangling symlink at " + name)


@case
def symlinks_at_temporary_names_are_not_followed(s):
    path = study(s / "study.yaml", s / "out")
    expect_ok(run(["run", path]))
    out = s / "out"
    run_dir = os.path.join(out, "runs", os.listdir(out + "/runs")[0])
    for f in ("activations.h5", "checkpoint.pt"):  # trained again: their temporary files are written
        os.remove(os.path.join(run_dir, f))
    names = []
    for d, _, files in os.walk(out):
        names += [os.path.join(d, f + ".tmp") for f in files if not f.endswith(".tmp")]
    names += [os.path.join(run_dir, "activations.h5.tmp"), os.path.join(run_dir, "checkpoint.pt.tmp")]
    names += [n[:-len(".gp.tmp")] + ".svg.tmp" for n in names if n.endswith(".gp.tmp")]
    names.append(os.path.join(out, "report/fig/gnuplot.log"))
    names = sorted(set(names))
    planted = victims(s, names)
    for i, name in enumerate(names):
        if os.path.lexists(name):
            os.remove(name)
        # Half to an existing file, half dangling (O_CREAT would create the target).
        os.symlink(planted[name] if i % 2 == 0 else planted[name] + ".dangling", name)
    r = run(["run", path])
    expect_ok(r)
    check_victims(s, planted)
    for f in ("report.md", "metrics.csv", "metrics.h5", "study.h5", "runs/%s/activations.h5" % os.path.basename(run_dir)):
        check(os.path.isfile(os.path.join(out, f)) and not os.path.islink(os.path.join(out, f)),
              f + " is not a regular file")


@case
def symlink_at_the_lock_is_refused(s):
    path = trained(s)
    planted = victims(s, ["lock"])
    os.remove(s / "out/.clusterprobe.lock")
    os.symlink(planted["lock"], s / "out/.clusterprobe.lock")
    expect_error(run(["report", path]), 4, ".clusterprobe.lock", "symbolic link")
    check_victims(s, planted)


@case
def foreign_directory_is_not_adopted(s):
    os.makedirs(s / "u")
    with open(s / "u/report.md", "w") as f:
        f.write("notes\n")
    path = study(s / "study.yaml", s / "u")
    expect_error(run(["run", path]), 2, "u", "empty")
    check(text(s / "u/report.md") == "notes\n", "the user's file was replaced")
    check(not os.path.exists(s / "u/metrics.csv"), "outputs were written into the user's directory")
    os.makedirs(s / "empty")
    expect_ok(run(["train", study(s / "e.yaml", s / "empty")]))


@case
def deleted_marker_does_not_hand_over_the_directory(s):
    trained(s, name="first")
    os.remove(s / "out/.clusterprobe.study")
    other = study(s / "other.yaml", s / "out", name="second")
    expect_error(run(["run", other]), 2, "first", "second")
    with h5py.File(s / "out/study.h5") as f:
        check(f.attrs["study"] in ("first", b"first"), "the first study's index was replaced")
    # Its owner gets it back.
    expect_ok(run(["train", study(s / "study.yaml", s / "out", name="first")]))
    check(text(s / "out/.clusterprobe.study") == "first\n", "the marker was not written again")


@case
def idx_split_with_zero_images(s):
    path = fmnist_copy(s)
    for name, header in (("t10k-images-idx3-ubyte.gz", struct.pack(">IIII", 0x803, 0, 28, 28)),
                         ("t10k-labels-idx1-ubyte.gz", struct.pack(">II", 0x801, 0))):
        os.remove(os.path.join(s / "fm", name))
        with open(os.path.join(s / "fm", name), "wb") as f:
            f.write(header)
    expect_error(run(["train", path], timeout=60), 3, "t10k-", "no images")


@case
def unknown_subcommand_suggests_the_nearest(s):
    r = run(["analyse", s / "f.h5"], ranks=0)
    expect_error(r, 2, "unknown subcommand 'analyse'", "did you mean 'analyze'")
    expect_error(run(["-v", "stauts", "x.yaml"], ranks=0), 2, "unknown subcommand 'stauts'", "'status'")


@case
def synthetic_sizes_are_bounded(s):
    path = study(s / "study.yaml", s / "out")
    for overrides, key in ((["data.synthetic.coarse=100000", "data.synthetic.fine=100000"], "data.synthetic.fine"),
                           (["data.synthetic.train_per_fine=2000000000"], "data.synthetic.train_per_fine"),
                           (["data.synthetic.test_per_fine=200000000"], "data.synthetic.test_per_fine"),
                           (["data.synthetic.dim=1000000"], "data.synthetic.dim"),
                           (["data.synthclust.train_per_cluster=2000000000"], "data.synthclust.train_per_cluster")):
        expect_error(run(["plan", path] + overrides, ranks=0, timeout=20), 2, key)


# Text from the user's files reached the terminal as it was: an escape
# sequence in a study name or a layer name recoloured or cleared it, and a
# non-YAML study file was quoted whole (5 MB) in the error.
@case
def terminal_escapes_and_huge_quotes_stay_out(s):
    def clean(r):
        for byte in ("\x1b", "\x07", "\r"):
            check(byte not in r.out, "a raw %r reached the terminal: %r" % (byte, r))
    path = study(s / "study.yaml", s / "out", name="\"bad\\e[31mRED\\x07\"")  # YAML escapes: ESC, BEL
    r = run(["plan", path], ranks=0)
    clean(r)
    expect_error(r, 2, "study.yaml:1", "study: must not hold control characters", "\\x1b[31mRED\\x07")
    with open(s / "junk.yaml", "w") as f:
        f.write("A" * (5 << 20) + "\n")
    error = expect_error(run(["plan", s / "junk.yaml"], ranks=0), 2, "junk.yaml:1", "more bytes")
    check(len(error) < 1000, "the error quotes %d bytes of the file" % len(error))
    with open(s / "key.yaml", "w") as f:
        f.write("study: k\n\x1b[2J: 1\n")
    r = run(["plan", s / "key.yaml"], ranks=0)
    clean(r)
    expect_error(r, 2, "key.yaml:2", "\\x1b[2J: unknown key")
    layers = activations(s / "acts.h5", {"fc\x1b[2J": blobs()})
    r = run(["analyze", layers, "cluster.restarts=1"])
    clean(r)
    expect_ok(r)
    check("fc\\x1b[2J" in r.out, "the layer is not shown escaped: %r" % r)


@case
def a_file_locked_by_another_process_is_still_read(s):
    """NFS and Lustre refuse flock() with errors HDF5's best-effort locking
    does not skip (ENOLCK, 524): every open would fail there. ClusterProbe
    needs no HDF5 lock (one writer per output, files renamed into place), so
    it takes none: a file another process holds an exclusive flock on (what
    HDF5 would have tripped over, as it trips over those file systems) reads."""
    import fcntl
    layers = activations(s / "acts.h5", {"fc": blobs()})
    with open(layers, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        expect_ok(run(["analyze", layers, "cluster.restarts=1"], ranks=1))


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
