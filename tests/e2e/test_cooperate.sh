# Array tasks without Slurm: two `train --cooperate TOKEN` commands share one
# output (a shared lock) and divide its runs through claim files, each run
# claimed once; a command with another token, or none, is refused while they
# hold it (exit 4), naming them.
source "$(dirname "$0")/common.sh"
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
sed -i -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 100,/' study.yaml
"$CP_BIN" train study.yaml --cooperate tok-A > a1.log 2>&1 &
a1=$!
for _ in $(seq 600); do grep -q "claimed" out/slurm/claims.log 2> /dev/null && break; sleep 0.05; done
grep -q "claimed" out/slurm/claims.log || { cat a1.log; die "the first task claimed nothing"; }
for other in "--cooperate tok-B" ""; do
  rc=0
  # shellcheck disable=SC2086
  "$CP_BIN" train study.yaml $other > other.log 2>&1 || rc=$?
  [ "$rc" = 4 ] || { cat other.log; die "train ${other:-without a token}: exit $rc while tok-A holds the output, expected 4"; }
  grep -q "in use by .*pid=$a1" other.log || { cat other.log; die "the refusal does not name the holder"; }
done
rc=0
"$CP_BIN" train study.yaml --cooperate tok-A > a2.log 2>&1 || rc=$?
wait $a1 || die "the first task failed"
[ "$rc" = 0 ] || { cat a2.log; die "the second task of tok-A failed: exit $rc"; }
cat out/slurm/claims.log
[ "$(grep -c "	claimed	" out/slurm/claims.log)" = 2 ] || die "not exactly 2 claims"
[ "$(cut -f2 out/slurm/claims.log | sort -u | wc -l)" = 2 ] || die "one task trained both runs"
"$CP_BIN" status out | grep -q "2 complete, 0 running, 0 pending, 0 failed" || die "not complete"
echo PASS
