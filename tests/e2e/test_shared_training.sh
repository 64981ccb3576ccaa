# Each network trained once (issue 23 item 6). Fashion-MNIST's fine labels are
# the same targets under every hierarchy that keeps its ten classes, so the
# fine-label runs of pairs-similar and pairs-unrelated are one network: the
# plan says so, the stage trains it once and stores both runs' files from it,
# and each file equals, bit for bit, the file of a study that trains that run
# alone (same id: a run's id does not depend on the rest of the grid). A run
# added later to a complete training is stored without touching the others;
# files written before training identities existed stay complete.
source "$(dirname "$0")/common.sh"
[ -e /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || { echo "SKIP: no Fashion-MNIST"; exit 77; }
study() {  # path output datasets
  cat > "$1" <<YAML
study: shared-training
output: $2
grid:
  dataset: [$3]
  architecture: [mlp]
  normalization: [batch]
  seed: [0]
train: {epochs: 2, batch_size: 100, lr: 0.05, threads: 1, max_samples: 600, labels: [coarse, fine]}
extract: {split: test, layers: all, max_samples: 200, epochs: [1, last]}
cluster: {restarts: 2, max_iter: 30}
YAML
}
study "$WORK/both.yaml" "$WORK/both" "fmnist/pairs-similar, fmnist/pairs-unrelated"
study "$WORK/alone.yaml" "$WORK/alone" "fmnist/pairs-unrelated"

"$CP_BIN" plan "$WORK/both.yaml" > "$WORK/plan" || die "plan failed"
cat "$WORK/plan"
grep -q "^study shared-training: 4 runs (0 pretraining), 3 trainings (1 run is scored from another run's training" "$WORK/plan" ||
  die "the plan does not say that 4 runs need 3 trainings"
follower=$(awk 'NR > 2 && NF == 11 && $11 != "here" {print $1}' "$WORK/plan")
trainer=$(awk 'NR > 2 && NF == 11 && $11 != "here" {print $11}' "$WORK/plan")
[ -n "$follower" ] && [ -n "$trainer" ] || die "no run is trained by another in the plan"
grep -q "^$trainer .*fmnist/pairs-similar .* fine " "$WORK/plan" || die "$trainer is not the pairs-similar fine run"
grep -q "^$follower .*fmnist/pairs-unrelated .* fine " "$WORK/plan" || die "$follower is not the pairs-unrelated fine run"

"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/both.yaml" > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "train failed"; }
cat "$WORK/log"
grep -q "train: 4 runs on 2 ranks, 3 trainings:" "$WORK/log" || die "the stage does not say 3 trainings"
[ "$(grep -c "run [0-9a-f]* done" "$WORK/log")" = 3 ] || die "expected 3 trainings done"
! grep -q "run $follower done" "$WORK/log" || die "$follower was trained on its own"
grep -q "run $follower stored from the training of run $trainer" "$WORK/log" || die "$follower was not stored from $trainer"
grep -q "claimed run $trainer .*trained once for it and $follower" "$WORK/log" || die "the claim does not name the shared run"
grep -q "train: 4 of 4 runs complete" "$WORK/log" || die "not every run is complete"
[ -f "$WORK/both/runs/$follower/checkpoint.pt" ] || die "$follower has no checkpoint.pt"

"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/alone.yaml" > "$WORK/log2" 2>&1 || { cat "$WORK/log2"; die "train alone failed"; }
grep -q "run $follower done" "$WORK/log2" || { cat "$WORK/log2"; die "the study of pairs-unrelated alone did not train $follower"; }

"$CP_PYTHON" - "$WORK" "$trainer" "$follower" <<'PY' || die "the shared run's file differs from the run trained alone"
import sys, h5py, numpy as np
work, trainer, follower = sys.argv[1:]
def items(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
        attrs = dict(f.attrs)
    return out, attrs
shared, sa = items(f"{work}/both/runs/{follower}/activations.h5")
alone, aa = items(f"{work}/alone/runs/{follower}/activations.h5")
assert sorted(shared) == sorted(alone), (sorted(shared), sorted(alone))
assert any(k.startswith("epoch_1/") for k in shared), sorted(shared)
for k in alone:
    assert shared[k].dtype == alone[k].dtype and np.array_equal(shared[k], alone[k]), k
for a in ("coarse_test_accuracy", "fine_test_accuracy", "final_train_loss"):
    assert sa[a] == aa[a], (a, sa[a], aa[a])
dec = lambda v: v.decode() if isinstance(v, bytes) else v
assert dec(sa["trained_by"]) == trainer and dec(aa["trained_by"]) == follower, (sa["trained_by"], aa["trained_by"])
with h5py.File(f"{work}/both/runs/{trainer}/activations.h5", "r") as t:
    assert dec(t.attrs["training_id"]) == dec(sa["training_id"]) == dec(aa["training_id"])
    # One network, two analyses: the same activations, other coarse labels.
    assert np.array_equal(t["epoch_2/fc2"][()], shared["epoch_2/fc2"])
    assert np.array_equal(t["labels/fine"][()], shared["labels/fine"])
    assert not np.array_equal(t["labels/coarse"][()], shared["labels/coarse"])
print(len(alone), "datasets equal bit for bit; accuracies equal:", sa["coarse_test_accuracy"], sa["fine_test_accuracy"])
PY

# A third hierarchy that keeps the ten classes: its fine run is the same
# network again; the training runs once more for it (the snapshots of epoch 1
# are gone) and writes only its file.
study "$WORK/three.yaml" "$WORK/both" "fmnist/pairs-similar, fmnist/pairs-unrelated, fmnist/fmnist-breeds"
before=$(stat -c %Y "$WORK/both/runs/$trainer/activations.h5" "$WORK/both/runs/$follower/activations.h5")
sleep 1
"$MPIEXEC" -n 2 "$CP_BIN" train "$WORK/three.yaml" > "$WORK/log3" 2>&1 || { cat "$WORK/log3"; die "train three failed"; }
cat "$WORK/log3"
[ "$(grep -c "run [0-9a-f]* done" "$WORK/log3")" = 1 ] || die "expected the breeds coarse run trained"
[ "$(grep -c "stored from the training of run $trainer" "$WORK/log3")" = 1 ] ||
  die "expected the breeds fine run, and it alone, stored from the training of $trainer"
[ "$before" = "$(stat -c %Y "$WORK/both/runs/$trainer/activations.h5" "$WORK/both/runs/$follower/activations.h5")" ] ||
  die "complete files of the shared training were rewritten"
grep -q "train: 6 of 6 runs complete" "$WORK/log3" || die "not every run is complete"

# Files from before training identities: no training_id / trained_by. Still complete.
"$CP_PYTHON" - "$WORK/both/runs" <<'PY'
import glob, sys, h5py
for p in glob.glob(sys.argv[1] + "/*/activations.h5"):
    with h5py.File(p, "r+") as f:
        for a in ("training_id", "trained_by"):
            del f.attrs[a]
PY
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/three.yaml" > "$WORK/log4" 2>&1 || { cat "$WORK/log4"; die "run on old files failed"; }
! grep -q "run [0-9a-f]* done" "$WORK/log4" || { cat "$WORK/log4"; die "files from before were trained again"; }
[ -f "$WORK/both/report.md" ] || die "no report"
echo "PASS"
