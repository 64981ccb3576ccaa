# `clusterprobe slurm --dry-run` without Slurm: the scripts are written into
# <output>/slurm/ and printed, parse as bash, carry the resources asked for,
# and hold hostile strings literally; bad slurm: values and flags are config
# errors (exit 2) naming the key.
source "$(dirname "$0")/common.sh"
cd "$WORK"
out="o'ut \$(touch $WORK/PWNED)"
write_synthetic_study study.yaml "\"$out\"" 'slurm: {time: "2:00:00", ranks_per_node: 4, gpus_per_node: 1, cluster: {ranks_per_node: 2, time: "30"}}'
"$CP_BIN" slurm study.yaml --dry-run --partition gpu --account lab --array 3 --lease 60 \
  '--sbatch=--mem=8G' 'grid.seed=[0]' > dry.txt 2>&1 || { cat dry.txt; die "dry run failed"; }
for f in train post; do
  [ -x "$out/slurm/$f.sbatch" ] || die "no executable $f.sbatch"
  bash -n "$out/slurm/$f.sbatch" || die "$f.sbatch does not parse"
done
t="$out/slurm/train.sbatch"
for line in "#SBATCH --ntasks-per-node=4" "#SBATCH --gpus-per-node=1" "#SBATCH --time=2:00:00" \
            "#SBATCH --partition=gpu" "#SBATCH --account=lab" "#SBATCH --mem=8G" "#SBATCH --signal=B:USR1@300" \
            "#SBATCH --requeue" "parallel.max_hours=1.916667" "--cooperate" "dependency=afterany"; do
  grep -qF -- "$line" "$t" || die "train.sbatch lacks '$line'"
done
grep -qF -- "#SBATCH --ntasks-per-node=2" "$out/slurm/post.sbatch" || die "post.sbatch: cluster resources"
grep -qF -- "#SBATCH --time=30" "$out/slurm/post.sbatch" || die "post.sbatch: cluster time"
grep -qF -- "--array=0-2" dry.txt || die "no array in the sbatch line"
grep -q "nothing submitted" dry.txt || die "no dry-run note"
# The scripts' own values, read back by bash, are the strings given.
got=$(bash -c "$(sed -n -e '/^slurm_dir=/p' "$t"); printf %s \"\$slurm_dir\"")
[ "$got" = "$WORK/$out/slurm" ] || die "slurm_dir read back as '$got'"
[ ! -e PWNED ] || die "a command in the output path was executed"

expect_config_error() {  # pattern, arguments...
  local pattern=$1 rc=0
  shift
  "$CP_BIN" slurm study.yaml --dry-run "$@" > err.txt 2>&1 || rc=$?
  [ "$rc" = 2 ] || { cat err.txt; die "$*: exit $rc, expected 2"; }
  grep -q -- "$pattern" err.txt || { cat err.txt; die "$*: message lacks '$pattern'"; }
}
expect_config_error "slurm.time: 'soon' is not a Slurm time limit" --time soon
expect_config_error "slurm.partition: 'a b' is not a Slurm name" --partition "a b"
expect_config_error "slurm.sbatch.*--array is set by clusterprobe slurm" '--sbatch=--array=1-3'
expect_config_error "slurm.margin: 7200 s leaves no time" --margin 7200
expect_config_error "slurm.launcher" --launcher ssh
expect_config_error "unknown key.*slurm.bogus\|slurm.bogus" slurm.bogus=1
sed -i 's/time: "2:00:00"/time: [1]/' study.yaml
expect_config_error "study.yaml:[0-9]*.*slurm.time"
echo PASS
