# A bad study file gets one clear error naming file, line and key, exit code 2,
# under mpiexec too, and nothing is written.
source "$(dirname "$0")/common.sh"
write_synthetic_study "$WORK/bad.yaml" "$WORK/out" "train: {epochs: 2, batch_sise: 64}"
# The duplicate 'train' key is itself an error; use a file whose only fault is the typo.
sed -i '0,/^train:/{/^train:/d}' "$WORK/bad.yaml"
set +e
"$MPIEXEC" -n 2 "$CP_BIN" run "$WORK/bad.yaml" > "$WORK/log" 2>&1
rc=$?
set -e
cat "$WORK/log"
[ $rc -ne 0 ] || die "bad study accepted"
line=$(grep -n batch_sise "$WORK/bad.yaml" | cut -d: -f1)
grep -q "bad.yaml:$line" "$WORK/log" || die "error does not name file and line $line"
grep -q "batch_sise" "$WORK/log" || die "error does not name the key"
[ "$(grep -c 'clusterprobe: error' "$WORK/log")" = 1 ] || die "not exactly one error report"
[ ! -e "$WORK/out" ] || die "output written for a bad study"
write_synthetic_study "$WORK/study.yaml" "$WORK/out"
set +e
"$CP_BIN" plan "$WORK/bad.yaml" > /dev/null 2>&1
[ $? -eq 2 ] || die "plan: exit code is not 2"
"$CP_BIN" plan "$WORK/study.yaml" train.epochs=-1 > /dev/null 2>&1
[ $? -eq 2 ] || die "a bad override is not rejected with exit code 2"
