#!/usr/bin/env bash
# A real single-node Slurm for the tests: munge, slurmctld and slurmd started
# by hand (no systemd), everything under $SLURM_BASE (default /tmp/slurm-cp).
#   slurm/local-cluster.sh up     start it; then `source $SLURM_BASE/env.sh`
#   slurm/local-cluster.sh down   stop our daemons (by their pid files), remove $SLURM_BASE
# Needs root and Debian's slurmctld slurmd slurm-client munge (scripts/setup.sh).
set -euo pipefail
B=${SLURM_BASE:-/tmp/slurm-cp}
export SLURM_CONF=$B/etc/slurm.conf

down() {
  scancel --full -u root 2>/dev/null || true
  local pids=""
  for d in slurmd slurmctld munged; do
    local p
    p=$(cat "$B/run/$d.pid" 2>/dev/null) && kill "$p" 2>/dev/null && pids="$pids $p"
  done
  for p in $pids; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  rm -rf "$B"
}

up() {
  # A fresh directory: an old state directory would bring its jobs back.
  [ ! -e "$B" ] || down
  mkdir -p "$B"/{etc,log,state,spool,run,munge}
  chmod 755 "$B" "$B/munge"  # munged refuses a socket directory others cannot enter
  mungekey -c -k "$B/munge/munge.key"
  local socket=$B/munge/munge.socket
  munged --key-file="$B/munge/munge.key" --socket="$socket" --pid-file="$B/run/munged.pid" \
    --log-file="$B/log/munged.log" --seed-file="$B/munge/munged.seed"
  # The node's real topology (sockets, cores, threads), without its memory line.
  local hw mem
  hw=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //' -e 's/ RealMemory=[0-9]*//')
  mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
  cat > "$SLURM_CONF" <<CONF
ClusterName=cp-local
SlurmctldHost=localhost
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket,cred_expire=10
StateSaveLocation=$B/state
SlurmdSpoolDir=$B/spool
SlurmctldPidFile=$B/run/slurmctld.pid
SlurmdPidFile=$B/run/slurmd.pid
SlurmctldLogFile=$B/log/slurmctld.log
SlurmdLogFile=$B/log/slurmd.log
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
NodeName=localhost NodeAddr=127.0.0.1 $hw RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
  setsid nohup slurmctld -D -f "$SLURM_CONF" > "$B/log/slurmctld.out" 2>&1 &
  setsid nohup slurmd -D -N localhost -f "$SLURM_CONF" > "$B/log/slurmd.out" 2>&1 &
  for _ in $(seq 150); do [[ "$(sinfo -h -o %T 2>/dev/null)" == idle* ]] && break; sleep 0.2; done
  if [[ "$(sinfo -h -o %T 2>/dev/null)" != idle* ]]; then
    tail -n 20 "$B"/log/slurm*.log >&2
    echo "local-cluster: the node did not come up" >&2
    exit 1
  fi
  echo "export SLURM_CONF=$SLURM_CONF OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1" > "$B/env.sh"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
