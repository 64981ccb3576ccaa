"""Stops, limits and pages that used to leave the user with a wrong picture:
TERM to mpirun (its own exit code hides the ranks' 75), a stop signal ignored
by the cluster stage, a report half replaced on a full disk, a control
character in `output` changed silently, a wall-time limit shorter than
start-up (every requeue stopped again without work), a gnuplot that never
returns, and a stopped run counted as done. Each case runs the real binary;
see casefile.py for how they are listed and run (ctest: trust.<case>)."""
import sys

from casefile import SKIP, listing_requested, registry, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import os
import re
import shutil
import signal
import subprocess
import threading
import time

from harness import CP_BIN, MPIEXEC, check, expect_error, expect_ok, fill, run, sound, study
from regressions import text, trained

CASES, case = registry()


class Started:
    """clusterprobe under mpiexec, its output read as it comes (to signal it at the right moment)."""

    def __init__(self, args, ranks=2):
        self.p = subprocess.Popen([MPIEXEC, "-n", str(ranks), CP_BIN] + list(args), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        self.lines = []
        self.reader = threading.Thread(target=self._read)
        self.reader.start()

    def _read(self):
        for raw in self.p.stdout:
            self.lines.append(raw.decode(errors="replace"))

    def wait_for(self, pattern, timeout=120):
        """Waits until a line matches `pattern`; False when the command ended or time ran out first."""
        end = time.time() + timeout
        while time.time() < end:
            if any(re.search(pattern, l) for l in list(self.lines)):
                return True
            if self.p.poll() is not None:
                self.reader.join()
                return any(re.search(pattern, l) for l in self.lines)
            time.sleep(0.02)
        return False

    def rank_pid(self, rank):
        """The pid of world rank `rank` (a process of this session with that rank in its environment)."""
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                if os.getsid(int(pid)) != self.p.pid or int(pid) == self.p.pid:
                    continue
                with open("/proc/%s/environ" % pid, "rb") as f:
                    env = f.read().split(b"\0")
            except (OSError, ProcessLookupError):
                continue
            if b"OMPI_COMM_WORLD_RANK=%d" % rank in env:
                return int(pid)
        return None

    def finish(self, timeout=180):
        """The exit code and the whole output; kills the session on a hang."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait()
            self.reader.join()
            raise_hang = "".join(self.lines)[-4000:]
            check(False, "hung:\n" + raise_hang)
        self.reader.join()
        return self.p.returncode, "".join(self.lines)


def long_study(s, epochs=3000):
    """Three runs that train long enough to be stopped in the middle."""
    return study(s / "study.yaml", s / "out", runs=3, epochs=epochs, extra="parallel: {progress_every: 0}\n")


# 1. TERM (or Ctrl-C) to mpirun returns 1: measured and documented (README, "Exit codes"), with how
# to learn the real outcome (status) and how to get 75 from mpirun (USR1).
@case
def term_to_mpirun_is_documented_and_resumes(s):
    readme = text(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../README.md"))
    codes = readme[readme.index("### Exit codes"):readme.index("## On a Slurm cluster")]
    for needle in ("odls_base_sigkill_timeout", "kill -USR1", "clusterprobe status"):
        check(needle in codes, "README's Exit codes section does not say %r" % needle)
    path = long_study(s)
    job = Started(["train", path])
    check(job.wait_for(r"\[rank 1\].*epoch 2/"), "training never started: %s" % "".join(job.lines))
    job.p.send_signal(signal.SIGTERM)
    rc, out = job.finish()
    # Open MPI 4.1's mpirun exits 1 when it is signalled itself, whatever the ranks did.
    check(rc == 1, "mpirun returned %s, the README says 1:\n%s" % (rc, out[-4000:]))
    status = run(["status", path], ranks=0)
    expect_ok(status)
    check(status.out.count("resumes from its checkpoint") == 2, "status does not say both runs resume: %r" % status)
    again = run(["train", path, "train.epochs=3000"], timeout=300)
    expect_ok(again)
    check(again.out.count("resuming from checkpoint") == 2, "the rerun did not resume both runs: %r" % again)


# 2. USR1 to one rank during `cluster` was ignored: it now stops every rank with 75 and a rerun resumes.
def slow_cluster_study(s, folder):
    """Two runs with four stored epochs each: 2 x 4 x 4 items that take a while each."""
    path = s / (folder + ".yaml")
    with open(path, "w") as f:
        f.write("""study: trust
output: %s
grid: {dataset: [synthetic/gmm], architecture: [mlp], normalization: [batch, none]}
train: {epochs: 4, batch_size: 32, threads: 1}
extract: {epochs: [1, 2, 3]}
cluster: {restarts: 40, max_iter: 300, methods: [kmeans, spectral]}
parallel: {progress_every: 0}
data: {synthetic: {coarse: 2, fine: 2, dim: 16, train_per_fine: 40, test_per_fine: 200}}
""" % (s / folder))
    return path


@case
def stop_signal_stops_the_cluster_stage_resumably(s):
    path = slow_cluster_study(s, "out")
    expect_ok(run(["train", path], timeout=300))
    shutil.copytree(s / "out", s / "whole")
    whole = slow_cluster_study(s, "whole")
    expect_ok(run(["cluster", whole], timeout=300))
    job = Started(["cluster", path])
    check(job.wait_for(r"cluster: rank 1: [1-9][0-9]* of its"), "no item done: %s" % "".join(job.lines))
    os.kill(job.rank_pid(1), signal.SIGUSR1)
    rc, out = job.finish()
    check(rc == 75, "exit %s after USR1 to rank 1, expected 75:\n%s" % (rc, out[-4000:]))
    for r in (0, 1):
        check(re.search(r"\[rank %d\] warning: .*exit code 75" % r, out), "rank %d did not stop with 75:\n%s" % (r, out))
    check(not os.path.exists(s / "out/metrics.csv"), "a partial metrics.csv looks complete")
    done = re.search(r"cluster: stopped by a stop signal after (\d+) of (\d+) items", out)
    check(done, "no count of the items done:\n%s" % out[-4000:])
    before, total = int(done.group(1)), int(done.group(2))
    check(0 < before < total, "expected some items done and some not: %s of %s" % (before, total))
    again = run(["cluster", path], timeout=300)
    expect_ok(again)
    resumed = re.search(r"cluster: (\d+) of (\d+) items done before; clustering the other (\d+)", again.out)
    check(resumed and int(resumed.group(1)) == before and int(resumed.group(3)) == total - before,
          "the rerun did not resume from %d of %d items:\n%s" % (before, total, again.out[-4000:]))
    check("cluster: %d items from" % (total - before) in again.out,
          "the rerun scheduled other than the %d items left:\n%s" % (total - before, again.out[-4000:]))
    check(not os.path.exists(s / "out/metrics.partial"), "the partial record outlived the finished stage")
    check(text(s / "out/metrics.csv") == text(s / "whole/metrics.csv"),
          "metrics.csv differs from an uninterrupted run's")


# 3. A disk that filled during `report` left report.md new and index.html old.
@case
def report_outputs_replace_together(s):
    fs = s.tmpfs("fs", "8m")
    if fs is None:
        return SKIP
    path = trained(s)
    expect_ok(run(["cluster", path]))
    expect_ok(run(["report", path], ranks=0))
    new_md = os.path.getsize(s / "out/report.md")
    shutil.copytree(s / "out", os.path.join(fs, "out"))
    out = os.path.join(fs, "out")
    for name in ("report.md", "report/index.html", "effects.csv"):
        with open(os.path.join(out, name), "w") as f:
            f.write("old\n")
    # Room for the new report.md (tmpfs counts 4 KiB pages), not for the page after it.
    fill(fs, leave=(new_md // 4096 + 2) * 4096)
    r = run(["report", study(s / "fs.yaml", out)], ranks=0)
    sound(r)
    olds = [n for n in ("report.md", "report/index.html", "effects.csv") if text(os.path.join(out, n)) == "old\n"]
    check(len(olds) in (0, 3), "some outputs are new and some old (old: %s): %r" % (olds, r))
    if olds:
        expect_error(r, 4, "No space left on device")


# 4. A control character in output= became a space.
@case
def control_character_in_output_is_refused(s):
    path = study(s / "study.yaml", s / "out")
    for value in ["%s\nb" % (s / "x"), "%s\tb" % (s / "x")]:
        expect_error(run(["plan", path, "output=" + value], ranks=0), 2, "output")
    with open(s / "bad.yaml", "w") as f:
        f.write(text(path).replace("output: %s" % (s / "out"), 'output: "%s\\nb"' % (s / "x")))
    expect_error(run(["plan", s / "bad.yaml"], ranks=0), 2, "output")
    check(not any(n.startswith("x") for n in os.listdir(s.path)), "an output directory was made")


# 5. parallel.max_hours below start-up: every requeue exited 75 without training (a livelock).
@case
def tiny_max_hours_still_makes_progress(s):
    path = study(s / "study.yaml", s / "out", runs=2, epochs=2)
    codes = []
    for _ in range(6):
        r = run(["train", path, "parallel.max_hours=0.0000001"], timeout=300)
        sound(r)
        codes.append(r.rc)
        if r.rc == 0:
            break
        check(r.rc == 75, "exit %s, expected 75 or 0: %r" % (r.rc, r))
    check(codes[-1] == 0, "no requeue finished the study (exit codes %s)" % codes)


# 6. A gnuplot that never returns hung `report`.
@case
def hanging_gnuplot_times_out(s):
    path = trained(s)
    expect_ok(run(["cluster", path]))
    fake = s / "gnuplot"
    with open(fake, "w") as f:
        f.write("#!/bin/sh\nexec sleep 1000\n")
    os.chmod(fake, 0o755)
    t0 = time.time()
    r = run(["report", path], ranks=0, timeout=90,
            env={"CLUSTERPROBE_GNUPLOT": fake, "CLUSTERPROBE_GNUPLOT_TIMEOUT": "2"})
    expect_ok(r)
    check(time.time() - t0 < 60, "report waited %.0f s" % (time.time() - t0))
    check("timed out" in r.out, "the log does not say gnuplot timed out: %r" % r)
    check("timed out" in text(s / "out/report/index.html"), "the page does not say a figure is missing")


# 7. "1 of 3 runs done" right after a stop.
@case
def stopped_run_is_not_counted_done(s):
    path = long_study(s)
    job = Started(["train", path])
    check(job.wait_for(r"\[rank 1\].*epoch 2/"), "training never started: %s" % "".join(job.lines))
    job.p.send_signal(signal.SIGUSR1)  # mpirun forwards it to every rank
    rc, out = job.finish()
    check(rc == 75, "exit %s, expected 75:\n%s" % (rc, out[-4000:]))
    lines = out.splitlines()
    first = next((i for i, l in enumerate(lines) if "stopped by a signal" in l), None)
    check(first is not None, "no run says it stopped:\n%s" % out[-4000:])
    after = [l for l in lines[first:] if "study:" in l]
    check(after, "no study line after the stop:\n%s" % out[-4000:])
    for l in after:
        check(re.search(r"study: 0 of 3 runs done", l), "a stopped run counted as done: %s" % l)


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
