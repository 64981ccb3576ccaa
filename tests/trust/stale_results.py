"""A stale, partial or mismatched result must never be shown as valid: the
report shows the plan's runs and says which are not clustered, metrics of
another cluster configuration are named as such, and a run whose activations
file went missing or bad is a failed item, not a blank row. Each case runs the
real binary on 2 ranks; see casefile.py for how they are listed and run."""
import sys

from casefile import listing_requested, registry, run_case

if __name__ == "__main__" and listing_requested(__file__):
    sys.exit(0)

import os
import shutil

import h5py

from harness import check, expect_ok, run, sound, study

CASES, case = registry()


def plan_ids(path, *overrides):
    r = run(["plan", path] + list(overrides), ranks=0)
    expect_ok(r)
    return [line.split()[0] for line in r.out.splitlines()[2:] if line and not line.startswith("skipped")]


def text(path):
    with open(path) as f:
        return f.read()


def summary_of(report_md):
    """The report's summary section (up to the next section)."""
    body = text(report_md)
    start = body.index("## Summary")
    return body[start:body.index("\n## ", start + 1)]


@case
def report_shows_the_plans_runs_only(s):
    path = study(s / "study.yaml", s / "out")
    expect_ok(run(["run", path]))
    old = plan_ids(path)[0]
    new = plan_ids(path, "train.lr=0.01")[0]
    check(old != new, "the override did not make a new run")
    expect_ok(run(["train", path, "train.lr=0.01"]))
    r = run(["report", path, "train.lr=0.01"])
    sound(r)
    check(r.rc == 5, "a planned run without metrics reported with exit %s, expected 5: %r" % (r.rc, r))
    summary = summary_of(s / "out/report.md")
    check(old not in summary, "the summary shows run %s, which is not in the plan:\n%s" % (old, summary))
    report = text(s / "out/report.md")
    check("Not complete" in report and new in report[report.index("Not complete"):],
          "the new run is not listed as not complete:\n%s" % report)
    check("clusterprobe cluster" in report, "the report does not say which command clusters the run")


@case
def report_names_another_cluster_configuration(s):
    path = study(s / "study.yaml", s / "out")
    expect_ok(run(["run", path]))
    r = run(["report", path, "cluster.methods=[kmeans, spectral]"])
    sound(r)
    check(r.rc == 5, "metrics of another cluster configuration reported with exit %s: %r" % (r.rc, r))
    check("cluster.methods" in r.out, "the log does not name what differs: %r" % r)
    check("cluster.methods" in text(s / "out/report.md"), "the page does not say the metrics differ")


def clustered_after(s, spoil):
    """Two trained runs, one of whose activations file `spoil` changes; the
    cluster stage's result and the ids."""
    path = study(s / "study.yaml", s / "out", runs=2)
    expect_ok(run(["train", path]))
    ids = plan_ids(path)
    spoil(s / ("out/runs/%s/activations.h5" % ids[0]), s / ("out/runs/%s/activations.h5" % ids[1]))
    return path, ids, run(["cluster", path])


def expect_failed_item(s, path, ids, r):
    sound(r)
    check(r.rc == 5, "a lost run clustered with exit %s, expected 5: %r" % (r.rc, r))
    check(ids[0] in r.out, "the log does not name run %s: %r" % (ids[0], r))
    with h5py.File(s / "out/metrics.h5", "r") as f:
        failed = [x.decode() if isinstance(x, bytes) else x for x in f["failures/run_id"][()]]
    check(ids[0] in failed, "run %s is not in metrics.h5:/failures (%s)" % (ids[0], failed))
    r = run(["report", path])
    sound(r)
    check(r.rc == 5, "report of a study with a lost run: exit %s: %r" % (r.rc, r))
    report = text(s / "out/report.md")
    check("Not complete" in report and ids[0] in report[report.index("Not complete"):],
          "the lost run is not listed as not complete")


@case
def cluster_fails_a_deleted_run_file(s):
    path, ids, r = clustered_after(s, lambda mine, other: os.remove(mine))
    expect_failed_item(s, path, ids, r)


@case
def cluster_fails_a_truncated_run_file(s):
    def truncate(mine, other):
        with open(mine, "r+b") as f:
            f.truncate(os.path.getsize(mine) // 2)
    path, ids, r = clustered_after(s, truncate)
    expect_failed_item(s, path, ids, r)


@case
def cluster_fails_another_runs_file(s):
    path, ids, r = clustered_after(s, lambda mine, other: shutil.copyfile(other, mine))
    expect_failed_item(s, path, ids, r)


# Found by the search for "the same shape elsewhere": a run deleted and trained
# again after clustering (here with other threads, so other weights) kept
# showing the earlier training's metrics with exit 0.
@case
def report_hides_metrics_of_a_retrained_run(s):
    path = study(s / "study.yaml", s / "out")
    expect_ok(run(["run", path]))
    (rid,) = plan_ids(path)
    for f in ("activations.h5", "checkpoint.pt"):
        os.remove(s / ("out/runs/%s/%s" % (rid, f)))
    expect_ok(run(["train", path, "train.threads=2"]))
    r = run(["report", path])
    sound(r)
    check(r.rc == 5, "metrics of the earlier training reported with exit %s, expected 5: %r" % (r.rc, r))
    report = text(s / "out/report.md")
    check("trained again after" in report[report.index("Not complete"):], "not listed:\n" + report)
    (row,) = [line for line in summary_of(s / "out/report.md").splitlines() if line.startswith("| " + rid)]
    check(row.endswith("| - | - | - | - | - |"), "the summary still shows the earlier metrics: " + row)
    expect_ok(run(["cluster", path]))
    expect_ok(run(["report", path]))


# metrics.h5 was renamed into place before metrics.csv was written: a failure
# between the two (a full disk, here a directory where the csv's temporary
# file goes) left a new metrics.h5 beside the old csv.
@case
def metrics_files_are_replaced_together(s):
    path = study(s / "study.yaml", s / "out")
    expect_ok(run(["run", path]))
    old = {f: open(s / ("out/" + f), "rb").read() for f in ("metrics.h5", "metrics.csv")}
    os.makedirs(s / "out/metrics.csv.tmp/blocker")
    r = run(["cluster", path, "cluster.restarts=1"], timeout=60)
    sound(r)
    check(r.rc == 4, "expected an I/O error, got %r" % r)
    for f, before in old.items():
        check(open(s / ("out/" + f), "rb").read() == before, f + " was replaced without the other")


if __name__ == "__main__":
    sys.exit(run_case(CASES, sys.argv[1]))
