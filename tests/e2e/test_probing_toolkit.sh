# Every clustering method, preprocessing step and metric of the toolkit,
# selected in the study file, through the cluster stage under mpiexec -n 2:
# the values land in metrics.h5/csv, the layer-similarity matrices in
# /similarity, and the well-separated synthetic subclasses are recovered by
# every method.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" grid.normalization=[batch] \
  'cluster.methods=[kmeans, spectral, ssc]' 'cluster.preprocess=[center, pca:0.99, l2]' \
  'metrics=[ami, ari, nmi, accuracy, silhouette, nc1, selectivity, cka, community]' \
  > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
cat "$WORK/log"
"$CP_PYTHON" "$CP_SOURCE_DIR/tests/e2e/check_outputs.py" "$WORK/out" --layer fc1 --min-ami 0.9
"$CP_PYTHON" - "$WORK/out" <<'PY'
import sys
import h5py
import numpy as np
out = sys.argv[1]
with h5py.File(f"{out}/metrics.h5", "r") as f:
    m = {k: f["metrics"][k].asstr()[:] if f["metrics"][k].dtype.kind == "O" else f["metrics"][k][:]
         for k in f["metrics"]}
    sim = f["similarity"]
    (run,) = list(sim.keys())
    layers = sim[run]["linear_cka_layers"][:]
    names = list(sim[run]["linear_cka_layers_rows"].asstr()[:])
    assert layers.shape == (len(names), len(names)), layers.shape
    assert np.allclose(np.diag(layers), 1.0) and np.allclose(layers, layers.T), "CKA matrix not a similarity"
    assert "input@0" in names and "fc1@2" in names, names
    for name in ["ssc_cka_layers", "linear_cka_vs_final", "ssc_cka_vs_final"]:
        assert name in sim[run], f"missing /similarity/{run}/{name}"
triples = set(zip(m["method"], m["scope"], m["metric"]))
for method in ["kmeans", "spectral", "ssc"]:
    for metric in ["ami", "ari", "nmi", "accuracy"]:
        assert (method, "mean", metric) in triples, (method, metric)
    assert (method, "global", "e2e_accuracy") in triples, method
for metric in ["silhouette_euclidean", "silhouette_cosine", "nc1_fine", "nc1_coarse"]:
    assert ("labels", "global", metric) in triples, metric
for metric in ["subclass_selectivity", "subclass_silhouette"]:
    assert ("labels", "mean", metric) in triples, metric
for metric in ["modularity", "modularity_fine", "community_ami", "class_affinity_ratio", "communities"]:
    assert ("ssc", "global", metric) in triples, metric
assert ("cka", "global", "linear_cka_final") in triples
# Every method recovers the well-separated subclasses at the first hidden layer.
for method in ["kmeans", "spectral", "ssc"]:
    sel = (m["method"] == method) & (m["layer"] == "fc1") & (m["scope"] == "mean") & (m["metric"] == "ami")
    best = m["value"][sel & (m["epoch"] == m["epoch"][sel].max())]
    assert best.size == 1 and best[0] > 0.9, (method, best)
print("toolkit outputs OK")
PY
