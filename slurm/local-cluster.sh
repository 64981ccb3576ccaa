#!/usr/bin/env bash
# A real Slurm for the tests: munge, slurmctld and slurmd started by hand (no
# systemd), everything under $SLURM_BASE (default /tmp/slurm-cp).
#   slurm/local-cluster.sh up [--nodes N]  start it; then `source $SLURM_BASE/env.sh`
#   slurm/local-cluster.sh down            stop what `up` started, remove what it created
#   slurm/local-cluster.sh kill-node NAME  SIGKILL every process of a node, unplug it
#   slurm/local-cluster.sh partition NAME  unplug a node, killing nothing
#   slurm/local-cluster.sh heal NAME       plug it back in
#   slurm/local-cluster.sh start-node NAME plug it back in and start its slurmd again
# One node (the default) is this host as `localhost`. N > 1 nodes are
# cp-node1..N, each its own network and UTS namespace on a bridge (see
# slurm/README.md, "Several simulated nodes"); the file system stays shared.
# Needs root and Debian's slurmctld slurmd slurm-client munge (scripts/setup.sh),
# and for N > 1 iproute2's `ip` and util-linux's `unshare` and `nsenter`.
set -euo pipefail
B=${SLURM_BASE:-/tmp/slurm-cp}
export SLURM_CONF=$B/etc/slurm.conf
# The simulated nodes' subnet (/24): private, and refused if any interface here has it.
NET=${CP_NODES_SUBNET:-10.213.0}
BRIDGE=cpbr0

die() { echo "local-cluster: $*" >&2; exit 1; }

# Every namespace, link and file `up` creates is appended here as it is made,
# so that `down` removes exactly those, even after a failed `up`.
created() { echo "$*" >> "$B/created"; }

# A recorded node's line from $B/nodes: "name address host-side-veth".
node_line() {
  local line
  line=$(awk -v n="$1" '$1 == n' "$B/nodes" 2> /dev/null) || true
  [ -n "$line" ] || die "no node '$1' in this cluster ($(cut -d' ' -f1 "$B/nodes" 2> /dev/null | tr '\n' ' '))"
  echo "$line"
}

# SIGKILLs every process in network namespace $1 until none is left: a rank
# or step daemon may fork while we kill.
kill_namespace() {
  local pids
  for _ in $(seq 100); do
    pids=$(ip netns pids "$1" 2> /dev/null) || return 0
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # one word per pid
    kill -9 $pids 2> /dev/null || true
    sleep 0.1
  done
  die "processes left in namespace $1: $(ip netns pids "$1" | tr '\n' ' ')"
}

down() {
  [ -e "$B" ] || return 0
  scancel --full -u root 2> /dev/null || true
  # TERM to every daemon at once (each takes about 2 s to go), KILL after 10 s.
  local f p pids=""
  for f in "$B"/run/slurmd*.pid "$B/run/slurmctld.pid" "$B/run/munged.pid"; do
    p=$(cat "$f" 2> /dev/null) && kill "$p" 2> /dev/null && pids="$pids $p"
  done
  for p in $pids; do
    for _ in $(seq 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
    kill -9 "$p" 2> /dev/null || true
  done
  if [ -f "$B/created" ]; then
    local kind name
    # Processes first (jobs' steps and ranks outlive slurmd), then the rest newest first.
    while read -r kind name; do
      [ "$kind" != netns ] || kill_namespace "$name"
    done < "$B/created"
    while read -r kind name; do
      case $kind in
        netns) ip netns delete "$name" 2> /dev/null || true ;;
        link) ! ip link show "$name" > /dev/null 2>&1 || ip link delete "$name" ;;
        file) rm -f "$name" ;;
        dir) rmdir "$name" 2> /dev/null || true ;;
        # `ip netns add` made /run/netns a mount point of itself; undone when we made it.
        netns-dir) [ -n "$(ls -A /run/netns 2> /dev/null)" ] || { umount /run/netns 2> /dev/null || true; rmdir /run/netns 2> /dev/null || true; } ;;
      esac
    done < <(tac "$B/created")
  fi
  rm -rf "$B"
}

# slurm.conf's lines common to one and several nodes; $1: SlurmctldHost, then
# the per-node spool/pid/log names.
write_conf() {
  local ctld=$1 spool=$2 pid=$3 log=$4
  cat > "$SLURM_CONF" <<CONF
ClusterName=cp-local
SlurmctldHost=$ctld
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$B/munge/munge.socket,cred_expire=10
StateSaveLocation=$B/state
SlurmdSpoolDir=$spool
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$B/log/jobcomp.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
MailProg=/bin/true
MinJobAge=4
CONF
}

start_munge() {
  mkdir -p "$B"/{etc,log,state,spool,run,munge}
  chmod 755 "$B" "$B/munge"  # munged refuses a socket directory others cannot enter
  mungekey -c -k "$B/munge/munge.key"
  munged --key-file="$B/munge/munge.key" --socket="$B/munge/munge.socket" --pid-file="$B/run/munged.pid" \
    --log-file="$B/log/munged.log" --seed-file="$B/munge/munged.seed"
}

# Waits until sinfo shows $1 nodes, all idle.
wait_idle() {
  local states
  for _ in $(seq 150); do
    states=$(sinfo -h -N -o %T 2> /dev/null) || states=""
    [ "$(grep -c '^idle' <<< "$states")" = "$1" ] && return 0
    sleep 0.2
  done
  sinfo -N >&2 || true
  tail -n 20 "$B"/log/slurm*.log >&2
  die "the nodes did not come up (\`$0 down\` stops and removes what \`up\` made)"
}

up_single() {
  start_munge
  # The node's real topology (sockets, cores, threads), without its memory line.
  local hw mem
  hw=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) * 9 / 10240 ))
  write_conf localhost "$B/spool" "$B/run/slurmd.pid" "$B/log/slurmd.log"
  cat >> "$SLURM_CONF" <<CONF
NodeName=localhost NodeAddr=127.0.0.1 $hw RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  setsid nohup slurmctld -D -f "$SLURM_CONF" > "$B/log/slurmctld.out" 2>&1 &
  setsid nohup slurmd -D -N localhost -f "$SLURM_CONF" > "$B/log/slurmd.out" 2>&1 &
  wait_idle 1
}

# Starts node $1's slurmd inside its namespaces: its network (nsenter), its own
# hostname (UTS) and a mount namespace where /etc/netns/<node>/hosts is
# /etc/hosts, as `ip netns exec` would do. Not `ip netns exec` itself: it also
# remounts /sys, losing /sys/fs/cgroup, without which slurmd does not start.
# Every step and rank slurmd starts inherits all three. Each command execs the
# next, so $! is slurmd itself.
start_slurmd() {
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  setsid nohup nsenter --net="/run/netns/$1" unshare --uts --mount --propagation slave \
    sh -c 'mount --bind "/etc/netns/$1/hosts" /etc/hosts && hostname "$1" && exec slurmd -D -N "$1" -f "$2"' \
    sh "$1" "$SLURM_CONF" > "$B/log/slurmd-$1.out" 2>&1 &
}

up_nodes() {
  local n=$1 cores
  if ! command -v ip > /dev/null || ! command -v unshare > /dev/null || ! command -v nsenter > /dev/null; then
    die "--nodes needs iproute2's ip and util-linux's unshare and nsenter"
  fi
  cores=$(nproc)
  # Each node declares the host's whole topology (slurmd checks it against what
  # it sees), so Slurm counts N x cores CPUs on the real cores: N nodes of
  # 1-2 ranks each run on 2 cores, slowly. Past 4 x cores, heartbeats starve.
  if [ "$n" -gt $(( 4 * cores )) ] || [ "$n" -gt 200 ]; then
    die "$n nodes on $cores cores: at most $(( 4 * cores ))"
  fi
  local i name
  # Nothing of these names may exist: `down` removes what `up` made, and only that.
  for i in $(seq "$n"); do
    ! ip netns list | grep -q "^cp-node$i\b" || die "namespace cp-node$i exists already (another cluster? not ours to remove)"
    ! ip link show "cpv$i" > /dev/null 2>&1 || die "link cpv$i exists already (not ours to remove)"
    [ ! -e "/etc/netns/cp-node$i" ] || die "/etc/netns/cp-node$i exists already (not ours to remove)"
  done
  ! ip link show "$BRIDGE" > /dev/null 2>&1 || die "link $BRIDGE exists already (another cluster? not ours to remove)"
  ! ip -4 -o addr show | grep -q " $NET\.[0-9]*/" || die "subnet $NET.0/24 is in use here: set CP_NODES_SUBNET (e.g. 10.214.0)"
  [ -e /etc/netns ] || created dir /etc/netns
  [ -e /run/netns ] || created netns-dir /run/netns
  mkdir -p /etc/netns

  start_munge
  ip link add "$BRIDGE" type bridge
  created link "$BRIDGE"
  ip addr add "$NET.1/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  local ctld hosts
  ctld=$(hostname -s)
  hosts="127.0.0.1 localhost"$'\n'"$NET.1 $ctld"
  for i in $(seq "$n"); do hosts+=$'\n'"$NET.$((10 + i)) cp-node$i"; done
  for i in $(seq "$n"); do
    name=cp-node$i
    ip netns add "$name"
    created netns "$name"
    ip link add "cpv$i" type veth peer name eth0 netns "$name"
    created link "cpv$i"
    ip link set "cpv$i" master "$BRIDGE" up
    ip -n "$name" addr add "$NET.$((10 + i))/24" dev eth0
    ip -n "$name" link set eth0 up
    ip -n "$name" link set lo up
    # Names resolve as a cluster's DNS would: every node, and the controller.
    mkdir "/etc/netns/$name"
    created dir "/etc/netns/$name"
    echo "$hosts" > "/etc/netns/$name/hosts"
    created file "/etc/netns/$name/hosts"
    mkdir -p "$B/spool/$name" "$B/tmp/$name"  # slurmd creates no %n directory
    chmod 1777 "$B/tmp/$name"
    echo "$name $NET.$((10 + i)) cpv$i" >> "$B/nodes"
  done

  local hw mem
  hw=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  # Memory is split: each node's RealMemory is its share of 90% of the host's.
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) * 9 / 10240 / n ))
  # The controller on the bridge's host side, the address every node reaches.
  write_conf "$ctld($NET.1)" "$B/spool/%n" "$B/run/slurmd-%n.pid" "$B/log/slurmd-%n.log"
  cat >> "$SLURM_CONF" <<CONF
# Each node's own temporary directory, as /tmp is on a real node: Slurm's PMIx
# plugin makes /tmp/spmix_appdir_<uid>_<step> on every node of a step.
TmpFS=$B/tmp/%n
# A dead node is DOWN after 15 s (300 by default), so the failure tests see it soon.
SlurmdTimeout=15
CONF
  for i in $(seq "$n"); do
    echo "NodeName=cp-node$i NodeAddr=$NET.$((10 + i)) $hw RealMemory=$mem State=UNKNOWN" >> "$SLURM_CONF"
  done
  echo "PartitionName=debug Nodes=cp-node[1-$n] Default=YES MaxTime=INFINITE State=UP" >> "$SLURM_CONF"
  setsid nohup slurmctld -D -f "$SLURM_CONF" > "$B/log/slurmctld.out" 2>&1 &
  for i in $(seq "$n"); do start_slurmd "cp-node$i"; done
  wait_idle "$n"
}

up() {
  local n=1
  while [ $# -gt 0 ]; do
    case $1 in
      --nodes) [ $# -ge 2 ] || die "--nodes needs a number"; n=$2; shift 2 ;;
      --nodes=*) n=${1#--nodes=}; shift ;;
      *) die "up: unknown option '$1'" ;;
    esac
  done
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || die "--nodes: '$n' is not a positive number"
  # A fresh directory: an old state directory would bring its jobs back.
  [ ! -e "$B" ] || down
  mkdir -p "$B"
  if [ "$n" = 1 ]; then up_single; else up_nodes "$n"; fi
  echo "export SLURM_CONF=$SLURM_CONF OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1" > "$B/env.sh"
}

# kill-node, partition, heal, start-node: $1 the action, $2 the node.
node_action() {
  [ $# = 2 ] || die "$1 needs a node name"
  local line name veth
  line=$(node_line "$2") || exit 1
  read -r name _ veth <<< "$line"
  case $1 in
    # A powered-off host: everything on it dies at once, its port goes dark.
    # Port first: a process killed while the link is up would send FINs and
    # RSTs its peers then act on, which a host that loses power never does.
    kill-node)
      ip link set "$veth" down
      kill_namespace "$name"
      rm -f "$B/run/slurmd-$name.pid" ;;  # its pid may be reused: `down` must not kill that
    # The switch port goes dark; every process lives on, unable to reach anyone.
    partition) ip link set "$veth" down ;;
    heal) ip link set "$veth" up ;;
    start-node)
      [ -z "$(ip netns pids "$name")" ] || die "$name still has processes: kill-node it first"
      ip link set "$veth" up
      start_slurmd "$name" ;;
  esac
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  kill-node | partition | heal | start-node) node_action "$@" ;;
  *) echo "usage: $0 up [--nodes N] | down | kill-node NAME | partition NAME | heal NAME | start-node NAME" >&2; exit 2 ;;
esac
