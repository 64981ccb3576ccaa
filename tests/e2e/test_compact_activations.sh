# Compact activation files, written by 2 ranks into one file: extract.dtype
# float16 stores exactly numpy's float16 cast of the float32 activations, and
# extract.compression deflate stores them chunked and compressed; h5py reads
# both, the cluster stage scores both, and deflated float32 gives the same
# metrics as uncompressed float32 (compression is not part of the run id).
source "$(dirname "$0")/common.sh"
cd "$WORK"
write_synthetic_study study.yaml f32 "parallel: {ranks_per_run: 2, progress_every: 0}"
sed -i 's/normalization: \[batch, layer\]/normalization: [layer]/' study.yaml
"$MPIEXEC" -n 2 "$CP_BIN" run study.yaml > f32.log 2>&1 || { cat f32.log; die "float32 study failed"; }
"$MPIEXEC" -n 2 "$CP_BIN" run study.yaml output=f16z extract.dtype=float16 extract.compression=deflate:4 > f16z.log 2>&1 ||
  { cat f16z.log; die "float16 + deflate study failed"; }
"$MPIEXEC" -n 2 "$CP_BIN" run study.yaml output=f32z extract.compression=deflate:6 > f32z.log 2>&1 ||
  { cat f32z.log; die "float32 + deflate study failed"; }
"$CP_PYTHON" - <<'PY' || die "compact files differ from the float32 reference"
import csv, glob
import h5py, numpy as np
(ref,) = glob.glob("f32/runs/*/activations.h5")
(half,) = glob.glob("f16z/runs/*/activations.h5")
(packed,) = glob.glob("f32z/runs/*/activations.h5")
with h5py.File(ref) as r, h5py.File(half) as h, h5py.File(packed) as p:
    n = 0
    for epoch in ("epoch_0", "epoch_2"):
        for layer in r[epoch]:
            x, y, z = r[epoch][layer], h[epoch][layer], p[epoch][layer]
            assert x.dtype == np.float32 and x.compression is None
            assert y.dtype == np.float16 and y.compression == "gzip" and y.chunks, (layer, y.dtype, y.compression)
            assert z.dtype == np.float32 and z.compression == "gzip" and z.chunks
            assert np.array_equal(y[:], x[:].astype(np.float16)), layer
            assert np.array_equal(z[:], x[:]), layer
            n += 1
metrics = {d: list(csv.reader(open(d + "/metrics.csv"))) for d in ("f32", "f16z", "f32z")}
assert metrics["f32"] == metrics["f32z"], "deflated float32 scored differently"
assert len(metrics["f16z"]) == len(metrics["f32"]) > 1, "float16 file not scored in full"
print(n, "matrices: float16 = numpy's cast, deflated float32 = float32;", len(metrics["f32"]) - 1, "metric rows each")
PY
echo PASS
