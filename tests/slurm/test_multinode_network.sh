#!/usr/bin/env bash
# Three simulated nodes (slurm/local-cluster.sh up --nodes 3): each is its own
# host to Slurm and to Open MPI. `srun -N3 hostname` names three hosts; two
# ranks on two nodes talk over TCP on the bridge, never shared memory (Open
# MPI's own BTL selection, in this test's log, says so); kill-node and
# partition act on one node only; `down` leaves `ip netns` and `ip link` as
# they were before `up`.
set -euo pipefail
# What `up` must leave behind, taken before it runs (local.sh starts the cluster).
if [ "$(id -u)" = 0 ] && command -v ip > /dev/null; then
  before_netns=$(ip netns list)
  before_links=$(ip -br link)
  before_dirs=$(ls -d /run/netns /etc/netns 2> /dev/null || true)
fi
export CP_SLURM_NODES=3
# shellcheck source=tests/slurm/local.sh
source "$(dirname "$0")/local.sh"
: "${CP_TEST_COMM:?set by ctest: the test_comm MPI binary}"
cd "$WORK"
net=${CP_NODES_SUBNET:-10.213.0}
re=${net//./\\.}  # the subnet as a regular expression

echo "--- topology"
sinfo -N -o "%N %T %c %m"
[ "$(sinfo -h -N -o %T | grep -c '^idle')" = 3 ] || die "not 3 idle nodes"
for i in 1 2 3; do ip -n "cp-node$i" -4 -br addr show eth0; done

# 1. Three hosts: three names, each resolving to its own address on every node.
srun -N3 hostname | sort > hosts.txt
cat hosts.txt
[ "$(cat hosts.txt)" = "$(printf 'cp-node%s\n' 1 2 3)" ] || die "srun -N3 hostname: not cp-node1..3"
srun -N3 -l sh -c 'getent hosts cp-node1 cp-node2 cp-node3 | tr "\n" " "' | sort > resolve.txt
cat resolve.txt
[ "$(grep -c "$re\.11 *cp-node1 *$re\.12 *cp-node2 *$re\.13 *cp-node3" resolve.txt)" = 3 ] ||
  die "node names do not resolve to their addresses on every node"

# 2. Two ranks on two nodes. Open MPI's defaults, as on a user's cluster (the
# tests' own environment allows shared memory only), with BTL selection logged.
unset OMPI_MCA_btl
# -w: Slurm may place two ranks on any two nodes (once cp-node2 and cp-node3,
# right after the step before), and the checks below name cp-node1 and cp-node2.
# -K and a timeout: a rank that dies (once, a segfault of rank 0 while the TCP
# connection was set up) would otherwise leave the other waiting for ever.
two_nodes() {
  OMPI_MCA_btl_base_verbose=100 timeout 120 srun -K --mpi=pmix -N2 -w cp-node1,cp-node2 --ntasks-per-node=1 \
    "$CP_TEST_COMM" --gtest_filter='MpiCommunicator.*' > mpi.txt 2>&1
}
if ! two_nodes; then
  known_mpi_start_crash mpi.txt || { cat mpi.txt; die "the 2-node MPI job failed"; }
  echo "RETRY: Open MPI 4.1.4's start-up crash over TCP (slurm/README.md); running the 2-node job once more"
  two_nodes || { cat mpi.txt; die "the 2-node MPI job failed twice"; }
fi
echo "--- Open MPI's transport choices (btl_base_verbose=100)"
grep -E "bml: Using|select: init of component|btl:tcp: (path|now connected)" mpi.txt
grep -q "PASSED.*2 tests" mpi.txt || { cat mpi.txt; die "the MPI tests did not pass on 2 nodes"; }
grep -q "^\[cp-node1:[0-9]*\] mca: bml: Using tcp btl for send to .* on node cp-node2" mpi.txt ||
  die "rank 0 on cp-node1 does not reach cp-node2 over tcp"
grep -q "^\[cp-node2:[0-9]*\] mca: bml: Using tcp btl for send to .* on node cp-node1" mpi.txt ||
  die "rank 1 on cp-node2 does not reach cp-node1 over tcp"
! grep -q "bml: Using \(vader\|sm\) btl" mpi.txt || die "shared memory between ranks on two nodes"
grep -q "btl:tcp: path from $re\.1[1-3] to $re\.1[1-3]" mpi.txt || die "tcp not over the bridge's addresses"

# 3. kill-node: that node's processes die and it goes DOWN; the others are untouched.
srun -w cp-node2 sleep 300 &
srun -w cp-node3 sleep 300 &
for _ in $(seq 50); do [ "$(squeue -h -t R | wc -l)" = 2 ] && break; sleep 0.2; done
[ "$(squeue -h -t R | wc -l)" = 2 ] || die "the sleeping steps did not start"
# The ranks themselves, not only their allocations.
for _ in $(seq 50); do ip netns pids cp-node3 | xargs -r ps -o comm= -p | grep -qx sleep && break; sleep 0.2; done
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" kill-node cp-node2
[ -z "$(ip netns pids cp-node2)" ] || die "processes left on the killed node"
[ -n "$(ip netns pids cp-node3)" ] || die "kill-node cp-node2 killed cp-node3's processes"
ip link show cpv2 | grep -q "state DOWN" || die "the killed node's interface is up"
start=$SECONDS
# SlurmdTimeout=15, plus the controller's ping period and message timeout.
for _ in $(seq 300); do sinfo -h -n cp-node2 -o %T | grep -q '^down' && break; sleep 0.2; done
sinfo -N -o "%N %T"
sinfo -h -n cp-node2 -o %T | grep -q '^down' || die "Slurm did not mark cp-node2 down within 60 s"
echo "cp-node2 down after $(( SECONDS - start )) s"

# 4. partition: cp-node3 is unreachable, yet its processes live on.
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" partition cp-node3
ip netns pids cp-node3 | grep -q . || die "partition killed processes"
! nsenter --net=/run/netns/cp-node1 timeout 3 bash -c "exec 3<> /dev/tcp/$net.13/6818" 2> /dev/null ||
  die "cp-node3's slurmd still reachable from cp-node1 after the partition"
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" heal cp-node3
# Neighbours that failed while it was away are retried after a while, as on a real network.
healed=""
for _ in $(seq 30); do
  nsenter --net=/run/netns/cp-node1 timeout 3 bash -c "exec 3<> /dev/tcp/$net.13/6818" 2> /dev/null && { healed=1; break; }
  sleep 0.5
done
[ -n "$healed" ] || die "cp-node3's slurmd not reachable 15 s after heal"
scancel --full -u root
wait 2> /dev/null || true

# 5. down leaves the machine as found: namespaces, links, ip's and our directories.
bash "$CP_SOURCE_DIR/slurm/local-cluster.sh" down
[ "$(ip netns list)" = "$before_netns" ] || die "ip netns after down: $(ip netns list)"
[ "$(ip -br link)" = "$before_links" ] || { diff <(echo "$before_links") <(ip -br link); die "ip link differs after down"; }
[ "$(ls -d /run/netns /etc/netns 2> /dev/null || true)" = "$before_dirs" ] || die "/run/netns or /etc/netns left behind"
! pgrep -f -- "$SLURM_BASE" > /dev/null || die "processes of the cluster left: $(pgrep -a -f -- "$SLURM_BASE")"
echo PASS
