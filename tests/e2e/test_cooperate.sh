# Array tasks without Slurm: two `train --cooperate TOKEN` commands share one
# output (a shared lock) and divide its runs through claim files, each run
# claimed once, a run that starts from a pretraining run only after that run
# is complete (whichever task trained it); a command with another token, or
# none, is refused while they hold it (exit 4), naming them.
source "$(dirname "$0")/common.sh"
cd "$WORK"
write_synthetic_study study.yaml out "parallel: {progress_every: 0}"
sed -i -e 's/train_per_fine: 200/train_per_fine: 1500/' -e 's/epochs: 2,/epochs: 40,/' \
       -e 's/  seed: \[0\]/  pretraining: [none, "fine:synthetic\/gmm"]/' study.yaml
"$CP_BIN" train study.yaml --cooperate tok-A > a1.log 2>&1 &
a1=$!
for _ in $(seq 600); do grep -q "claimed" out/slurm/claims.log 2> /dev/null && break; sleep 0.05; done
grep -q "claimed" out/slurm/claims.log || { cat a1.log; die "the first task claimed nothing"; }
# status names the holder of a claimed run: its host (on a cluster, the node), pid and renewal.
"$CP_BIN" status out > held.txt
grep -q "running .*held by host=$(hostname) pid=$a1 .*renewed [0-9]* s ago" held.txt ||
  { cat held.txt; die "status does not name the holder of a claimed run"; }
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
"$CP_PYTHON" - out/slurm/claims.log <<'PY' || die "claims: not once per run, or a run before its pretraining run"
import collections, sys
events = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
claimed = [e[3] for e in events if e[2] == "claimed"]
assert len(claimed) == 6 and len(set(claimed)) == 6, claimed
assert len({e[1] for e in events}) == 2, "one task trained everything"
print("6 runs claimed once each by 2 tasks")
PY
"$CP_BIN" plan study.yaml | awk '$10 != "-" && NR > 2 { print $1, $10 }' > pairs.txt
[ "$(wc -l < pairs.txt)" = 2 ] || die "expected 2 runs with a pretraining run"
while read -r child parent; do
  done_at=$(grep -n "released	$parent	complete" out/slurm/claims.log | cut -d: -f1)
  claimed_at=$(grep -n "claimed	$child	" out/slurm/claims.log | cut -d: -f1)
  [ "$claimed_at" -gt "$done_at" ] || die "run $child was claimed before its pretraining run $parent was complete"
done < pairs.txt
"$CP_BIN" status out | grep -q "6 complete, 0 running, 0 pending, 0 failed" || die "not complete"
echo PASS
