#!/usr/bin/env bash
# The house rules that a reader of the code relies on, checked on every test
# run (DESIGN.md "Source layout", README "Layout"):
#  - each folder includes only the folders its layer may use (the table
#    below), so cluster/ stays algorithms on matrices that open no file;
#  - the folders' include graph has no cycle;
#  - no output file name is spelled outside io/output_layout.cpp;
#  - no source file over 500 lines, no function over 80 (universal-ctags).
# Exit 0: all hold; 1: each broken rule is listed.
set -uo pipefail
root=${CP_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# Folder -> the folders it may include (besides itself). A folder not listed
# may include nothing of ours.
declare -A allowed=(
  [common]=""
  [comm]="common"
  [metrics]="common comm"
  [cluster]="common comm"
  [io]="common comm metrics"
  [data]="common config"
  [models]="common"
  [slurm]="common io"
  [config]="common cluster metrics report slurm"
  [plan]="common config data models cluster io"
  [sched]="common comm io"
  [probe]="common comm cluster metrics io sched"
  [report]="common metrics io cluster"
  [train]="common comm config data io models plan"
  [pipeline]="common comm cluster config data io metrics plan probe report sched slurm train"
  [cli]="common comm config io pipeline plan slurm"
)
folder_of() {
  case $1 in
    src/*) echo "$1" | cut -d/ -f2 ;;
    include/clusterprobe/*) echo "$1" | cut -d/ -f3 ;;
  esac
}
edges=$(mktemp)
trap 'rm -f "$edges"' EXIT
while IFS= read -r f; do
  from=$(folder_of "$f")
  [ -n "$from" ] || continue
  grep -oE '#include "clusterprobe/[a-z_]+/' "$f" | sed -E 's|.*clusterprobe/([a-z_]+)/|\1|' | sort -u |
    while read -r to; do
      [ "$to" = "$from" ] && continue
      echo "$from $to" >> "$edges"
      case " ${allowed[$from]-} " in
        *" $to "*) ;;
        *) echo "FAIL: $f includes clusterprobe/$to/ ($from/ may include: ${allowed[$from]:-nothing of ours})" ;;
      esac
    done
done < <(find src include/clusterprobe -name '*.[ch]pp' -o -name '*.inc' | sort) | tee /dev/stderr | grep -q FAIL && failed=1
# A cycle between folders: tsort says so.
if ! sort -u "$edges" | tsort > /dev/null 2>"$edges.err"; then
  fail "the folders' include graph has a cycle: $(tr '\n' ' ' < "$edges.err")"
fi
rm -f "$edges.err"

# Output names: only the layout type joins them.
names='study\.h5|metrics\.h5|metrics\.csv|runs\.csv|effects\.csv|report\.md|index\.html|checkpoint\.pt|train_state\.pt|activations\.h5|\.clusterprobe\.[a-z.]+|jobs\.tsv|claims\.log'
spelled=$(grep -rnE "\"[^\"]*($names)[^\"]*\"" src --include='*.cpp' --include='*.hpp' | grep -v '^src/io/output_layout.cpp:' |
          grep -vE '^\S+:[0-9]+:\s*//' | grep -vE 'add_subcommand|spdlog::|throw |Error\(' )
[ -z "$spelled" ] || fail "output file names spelled outside src/io/output_layout.cpp:
$spelled"

# Sizes.
long_files=$(find src include -name '*.[ch]pp' -exec wc -l {} + | awk '$2 != "total" && $1 > 500 {print $2" ("$1")"}')
[ -z "$long_files" ] || fail "files over 500 lines: $long_files"
if command -v ctags > /dev/null && ctags --version 2>/dev/null | grep -q Universal; then
  long_fns=$(ctags -R -x --_xformat='%N|%F|%n|%{end}' --kinds-c++=f --languages=C++ src |
             awk -F'|' '$4 != "" && $4 - $3 + 1 > 80 {print $2":"$3" "$1" ("$4 - $3 + 1" lines)"}')
  [ -z "$long_fns" ] || fail "functions over 80 lines: $long_fns"
else
  echo "SKIP: function lengths need universal-ctags (scripts/setup.sh installs it)"
  [ $failed = 0 ] && exit 77
fi
[ $failed = 0 ] && echo "structure: every rule holds"
exit $failed
