# Shared by the Slurm tests: a fresh Slurm of their own (slurm/local-cluster.sh),
# torn down on exit, and ways to wait for its jobs. CP_SLURM_NODES=N (default 1)
# asks for N simulated nodes.
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/common.sh"
[ "$(id -u)" = 0 ] && command -v slurmctld > /dev/null || { echo "SKIP: needs root and Debian's Slurm"; exit 77; }
if [ "${CP_SLURM_NODES:-1}" -gt 1 ]; then
  for tool in ip unshare nsenter; do
    command -v "$tool" > /dev/null || { echo "SKIP: simulated nodes need $tool (iproute2, util-linux)"; exit 77; }
  done
  unshare --net --uts true 2> /dev/null ||
    { echo "SKIP (not installable): no network or UTS namespaces here (a container without CAP_SYS_ADMIN?)"; exit 77; }
fi
# Outside $WORK (mode 700): munged needs every parent directory enterable by all.
export SLURM_BASE="/tmp/cp-slurm-$$"
# On a failure, what Slurm saw goes into the test's output before the cluster goes.
slurm_exit() {
  local rc=$?
  if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
    echo "--- Slurm's job completions and controller log (tail):"
    cat "$SLURM_BASE/log/jobcomp.log" 2> /dev/null
    tail -n 30 "$SLURM_BASE/log/slurmctld.log" 2> /dev/null
  fi
  bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" down
  [ -n "${CP_KEEP:-}" ] || rm -rf "$WORK"
}
trap slurm_exit EXIT
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" up --nodes "${CP_SLURM_NODES:-1}" > /dev/null || die "the local cluster did not start"
source "$SLURM_BASE/env.sh"

# Waits until Slurm's queue is empty (at most $1 seconds).
wait_queue_empty() {
  local queue
  for _ in $(seq $(( $1 * 5 ))); do
    # Only an answer counts: a busy controller's error is not an empty queue.
    queue=$(squeue -h 2> /dev/null) && [ -z "$queue" ] && return 0
    sleep 0.2
  done
  squeue
  die "jobs still queued after $1 s"
}

# Waits until a file matching glob $1 has a line matching pattern $2 (at most
# $3 seconds). A glob, as in logs/<job>/rank-*.out: with one rank per run the
# run's leader, whose log has its progress, is whichever rank claimed it.
wait_for_line() {
  local files
  for _ in $(seq $(( $3 * 10 ))); do
    files=$(compgen -G "$1") && grep -qs -- "$2" $files && return 0
    sleep 0.1
  done
  compgen -G "$1" > /dev/null && cat $(compgen -G "$1")
  die "no '$2' in $1 after $3 s"
}

# Whether files $@ show Open MPI 4.1.4's start-up crash over TCP (slurm/README.md:
# rank 0 killed by SIGSEGV inside MPI_Init_thread, about one 2-node start in
# 30 to 40). Only that one crash is retried, once, and the test says so.
known_mpi_start_crash() {
  grep -qs "Segmentation fault" "$@" && grep -qs "MPI_Init" "$@"
}

# The final state of job $1 in the completion log, e.g. COMPLETED, CANCELLED.
final_state() {
  grep "JobId=$1 " "$SLURM_BASE/log/jobcomp.log" | tail -n 1 | sed -e 's/.*JobState=\([A-Z_]*\).*/\1/'
}

# The job id that `clusterprobe slurm` printed for stage $2 ("train job N") in file $1.
submitted_id() {
  sed -n -e "s/.*$2 job \([0-9]*\).*/\1/p" "$1" | head -n 1
}

# Several nodes: Open MPI's own defaults, as on a user's cluster (the tests'
# OMPI_MCA_btl is shared memory only), and pt2pt for the run counter's
# one-sided window across nodes (slurm/README.md, "Open MPI between nodes").
# one_host runs a command as the tests' one-host reference runs.
if [ "${CP_SLURM_NODES:-1}" -gt 1 ]; then
  local_btl=${OMPI_MCA_btl:-self,vader}
  unset OMPI_MCA_btl
  export OMPI_MCA_osc=pt2pt
fi
one_host() { env -u OMPI_MCA_osc OMPI_MCA_btl="${local_btl:-self,vader}" "$@"; }
