"""Shared by the trust tests: runs the real binary (under mpiexec where ranks
matter), tiny studies, hand-written activation files, and the checks every
failure must pass: a documented exit code, no signal, no hang, one message."""
import os
import shutil
import signal
import subprocess
import tempfile

import h5py
import numpy as np

CP_BIN = os.environ.get("CP_BIN", "build/clusterprobe")
MPIEXEC = os.environ.get("MPIEXEC", "mpiexec")
DOCUMENTED = {0, 1, 2, 3, 4, 5, 75}  # README, "Exit codes"


class Failed(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failed(msg)


class Result:
    def __init__(self, rc, out, timed_out):
        self.rc, self.out, self.timed_out = rc, out, timed_out

    def errors(self):
        return [l for l in self.out.splitlines() if l.startswith("clusterprobe: error")]

    def __repr__(self):
        return "rc=%s timed_out=%s\n--- output ---\n%s" % (self.rc, self.timed_out, self.out[-4000:])


def run(args, ranks=2, timeout=120, env=None, cwd=None):
    """Runs clusterprobe with `args`; ranks=0 runs it without mpiexec."""
    cmd = ([MPIEXEC, "-n", str(ranks)] if ranks else []) + [CP_BIN] + list(args)
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=full_env,
                         cwd=cwd, start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        return Result(p.returncode, out.decode(errors="replace"), False)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return Result(None, out.decode(errors="replace"), True)


def sound(r):
    """No hang, no signal, a documented code (what every run must give)."""
    check(not r.timed_out, "hung (killed after the timeout): %r" % r)
    check(r.rc is not None and r.rc >= 0, "killed by a signal: %r" % r)
    check(r.rc not in (134, 136, 137, 139), "crashed (exit %s): %r" % (r.rc, r))
    check(r.rc in DOCUMENTED, "undocumented exit code %s: %r" % (r.rc, r))
    check("MPI_ABORT" not in r.out and "assertion" not in r.out.lower(),
          "internal abort or assertion shown to the user: %r" % r)


def expect_error(r, code, *needles):
    """Fails unless `r` exited with `code` and said so once, naming `needles`."""
    sound(r)
    check(r.rc == code, "exit code %s, expected %s: %r" % (r.rc, code, r))
    errors = r.errors()
    check(len(errors) == 1, "expected the error printed once, got %d times: %r" % (len(errors), r))
    for n in needles:
        check(n in errors[0], "the message does not name %r: %s" % (n, errors[0]))
    return errors[0]


def expect_ok(r, code=0):
    sound(r)
    check(r.rc == code, "exit code %s, expected %s: %r" % (r.rc, code, r))


class Scratch:
    """A scratch directory, removed afterwards (and unmounted if mounted)."""

    def __enter__(self):
        self.path = tempfile.mkdtemp(prefix="cp-trust-")
        self.mounts = []
        return self

    def __exit__(self, *exc):
        for m in reversed(self.mounts):
            subprocess.run(["umount", "-l", m], check=False)
        shutil.rmtree(self.path, ignore_errors=True)

    def __truediv__(self, name):
        return os.path.join(self.path, name)

    def tmpfs(self, name, size):
        """A small file system of our own (root only); None where mounting is not allowed."""
        where = self / name
        os.makedirs(where, exist_ok=True)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", where],
                          stderr=subprocess.DEVNULL).returncode != 0:
            return None
        self.mounts.append(where)
        return where


def fill(directory, leave=0):
    """Fills the file system holding `directory`, leaving about `leave` bytes."""
    st = os.statvfs(directory)
    free = st.f_bavail * st.f_frsize
    with open(os.path.join(directory, "filler"), "wb") as f:
        f.write(b"\0" * max(0, free - leave))


def study(path, output, name="trust", runs=1, extra="", epochs=1):
    """A tiny synthetic study: `runs` runs (normalizations) of an MLP."""
    norms = ["batch", "layer", "none"][:runs]
    with open(path, "w") as f:
        f.write("""study: %s
output: %s
grid: {dataset: [synthetic/gmm], architecture: [mlp], normalization: [%s]}
train: {epochs: %d, batch_size: 32, threads: 1}
cluster: {restarts: 2, max_iter: 30}
data: {synthetic: {coarse: 2, fine: 2, dim: 8, train_per_fine: 40, test_per_fine: 20}}
%s
""" % (name, output, ", ".join(norms), epochs, extra))
    return path


def activations(path, layers, fine=None, coarse=None, attrs=None):
    """An activations file as another tool would write it (h5py)."""
    n = len(next(iter(layers.values())))
    fine = np.array(fine if fine is not None else [i % 4 for i in range(n)])
    coarse = np.array(coarse if coarse is not None else [f // 2 for f in fine])
    with h5py.File(path, "w") as f:
        f["labels/fine"] = fine.astype(np.int32)
        f["labels/coarse"] = coarse.astype(np.int32)
        for name, rows in layers.items():
            f["epoch_0/" + name] = np.asarray(rows, dtype=np.float32)
        for k, v in (attrs or {}).items():
            f.attrs[k] = v
    return path


def blobs(n=80, d=6, classes=4, seed=0):
    """Rows that cluster by fine class."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % classes
    return rng.normal(size=(n, d)) + 6.0 * np.eye(classes, d)[labels]
