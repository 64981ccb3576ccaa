# Pretraining under mpiexec -n 2 (two groups of one rank): the plan shows the
# pretraining run and the runs that depend on it; the pretraining run is
# trained once although two runs use it; both start from its final weights
# (their epoch-0 activations equal its last-epoch activations, row for row);
# study.h5 records the dependency; a second `run` retrains nothing.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
# One architecture and normalization; pretraining on the fine labels of the
# same data, then coarse and fine downstream training from those weights.
sed -i -e 's/normalization: \[batch, layer\]/normalization: [batch]\n  pretraining: ["fine:synthetic\/gmm"]/' \
       -e 's/^train: {epochs: 2,/train: {epochs: 2, pretrain_epochs: 3, labels: [coarse, fine], finetune: full,/' \
       -e 's/^extract: {split: test, layers: all}/extract: {split: test, layers: all, epochs: [1, last]}/' \
       "$WORK/study.yaml"
cat "$WORK/study.yaml"

"$CP_BIN" plan "$WORK/study.yaml" > "$WORK/plan" || die "plan failed"
cat "$WORK/plan"
grep -q "3 runs (1 pretraining)" "$WORK/plan" || die "the plan does not show 1 pretraining run of 3"
parent=$(awk 'NR > 2 && NF == 11 && $10 == "-" {print $1}' "$WORK/plan")
[ "$(echo "$parent" | wc -w)" = 1 ] || die "expected exactly one run without a dependency: $parent"
[ "$(awk -v p="$parent" 'NR > 2 && $10 == p' "$WORK/plan" | wc -l)" = 2 ] ||
  die "expected two runs after the pretraining run $parent"

"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
cat "$WORK/log"
grep -q "2 group(s) of up to 1" "$WORK/log" || die "expected two groups of one rank"
[ "$(grep -c "claimed run $parent " "$WORK/log")" = 1 ] || die "the pretraining run was claimed more than once"
[ "$(grep -c "run $parent done" "$WORK/log")" = 1 ] || die "the pretraining run was not trained exactly once"
[ "$(grep -c "run [0-9a-f]* done" "$WORK/log")" = 3 ] || die "expected 3 trained runs"

"$CP_PYTHON" - "$WORK/out" "$parent" <<'PY' || die "the dependents did not start from the pretraining run's weights"
import sys, h5py, numpy as np
out, parent = sys.argv[1], sys.argv[2]
with h5py.File(f"{out}/study.h5", "r") as s:
    ids = [x.decode() for x in s["runs/id"][:]]
    after = [x.decode() for x in s["runs/pretrained_from"][:]]
    labels = [x.decode() for x in s["runs/labels"][:]]
    status = [x.decode() for x in s["runs/status"][:]]
    fine_acc = s["runs/fine_test_accuracy"][:]
assert all(x == "complete" for x in status), status
children = [i for i, a in zip(ids, after) if a == parent]
assert len(children) == 2 and parent in ids, (ids, after)
assert labels[ids.index(parent)] == "fine"
assert sorted(labels[ids.index(c)] for c in children) == ["coarse", "fine"]
for i, l, a in zip(ids, labels, fine_acc):
    assert (l == "fine") == np.isfinite(a), (i, l, a)   # fine accuracy only for fine-label runs
with h5py.File(f"{out}/runs/{parent}/activations.h5", "r") as p:
    assert sorted(p.keys()) == ["epoch_0", "epoch_1", "epoch_3", "labels", "predicted_coarse"], list(p.keys())
    assert p.attrs["trained_on"] in ("fine", b"fine")
    pidx = p["labels/index"][:]
    ref = {l: p[f"epoch_3/{l}"][:] for l in ("fc1", "fc2")}
for c in children:
    with h5py.File(f"{out}/runs/{c}/activations.h5", "r") as f:
        assert sorted(f.keys()) == ["epoch_0", "epoch_1", "epoch_2", "labels", "predicted_coarse"], list(f.keys())
        assert (f["labels/index"][:] == pidx).all()
        for l, want in ref.items():
            got = f[f"epoch_0/{l}"][:]
            assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (c, l, np.abs(got - want).max())
            # and training went on from there
            assert not np.allclose(f[f"epoch_2/{l}"][:], want, rtol=1e-3, atol=1e-4), (c, l)
print("dependents start from the pretraining run's final weights:", children)
PY

# Roles: the pretraining run and the fine-label runs are references, in their
# own section, not rows of the summary (nor levels of the factor effects).
"$CP_PYTHON" - "$WORK/out/report.md" "$parent" <<'PY' || die "the pretraining run is not in its own section"
import sys
body, parent = open(sys.argv[1]).read(), sys.argv[2]
summary = body[body.index("## Summary"):body.index("\n## ", body.index("## Summary") + 1)]
refs = body[body.index("## Pretraining parents and fine-label references"):]
refs = refs[:refs.index("\n## ", 1)]
assert parent not in summary, summary
assert "| " + parent + " | pretraining parent |" in refs, refs
assert refs.count("| fine-label reference |") == 1, refs
print("references:", refs.count("\n| ") - 1, "rows")
PY

# Training dynamics: e2e accuracy at each stored epoch, from that epoch's network.
grep -q "^e2e accuracy by epoch (training dynamics):" "$WORK/out/report.md" ||
  die "report.md has no e2e accuracy by epoch"

"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "second run failed"; }
[ "$(grep -c "is complete: skipped" "$WORK/log2")" = 3 ] || { cat "$WORK/log2"; die "a complete run was retrained"; }
echo PASS
