# The README's pandas example runs as written on a study's outputs: str
# columns, metrics joined with the run axes, effects.csv readable.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/study.yaml" train.epochs=1 "grid.seed=[0, 1]" > "$WORK/log" 2>&1 || { cat "$WORK/log"; die "run failed"; }
"$CP_PYTHON" - "$CP_SOURCE_DIR/README.md" "$WORK/out" <<'PY' || die "the README example does not run as written"
import re, sys
readme, out = open(sys.argv[1]).read(), sys.argv[2]
block = readme.split("Reading them with pandas", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
assert 'out = "out/fmnist-quickstart"' in block, block
code = block.replace('out = "out/fmnist-quickstart"', "out = %r" % out)
scope = {}
exec(compile(code, "README.md", "exec"), scope)
m, h, effects, runs = scope["m"], scope["h"], scope["effects"], scope["runs"]
assert len(runs) == 4 and set(runs.normalization) == {"batch", "layer"}, runs
assert {"dataset", "architecture", "normalization", "seed", "layer", "value"} <= set(m.columns), m.columns
assert all(isinstance(v, str) for v in h["layer"]) and all(isinstance(v, str) for v in h["run_id"]), h.head()
assert len(h) == len(scope["pd"].read_csv(out + "/metrics.csv")), "h5 and csv tables differ in length"
d = effects[(effects.kind == "difference") & (effects.axis == "normalization")]
assert len(d) == 4 and (d.n == 2).all(), effects
print("README example ran:", len(m), "metric rows,", len(effects), "effect rows")
PY
grep -q "factor effects" "$WORK/log" || die "no factor effects in the printed report"
echo PASS
