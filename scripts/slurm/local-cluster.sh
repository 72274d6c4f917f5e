#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for trying and testing job scripts for real.
#   local-cluster.sh start DIR   start munge (unless one already answers), slurmctld and slurmd
#                                with config, state, spool, logs and pid files under DIR;
#                                prints `export SLURM_CONF=DIR/slurm.conf` on success
#   local-cluster.sh stop DIR    stop exactly the daemons that `start DIR` started (pid files)
#   local-cluster.sh status DIR  sinfo against DIR/slurm.conf
# Needs root (the daemons run as root here, munged as user munge) and the Debian packages
# munge slurmctld slurmd slurm-client. Exit codes of start: 0 up; 3 cannot start here
# (not root, or packages missing: the message says which); 1 a daemon failed (see DIR/*.log).
# Ports: TESSERA_SLURMCTLD_PORT (default 16817) and TESSERA_SLURMD_PORT (16818), chosen away
# from the standard 6817/6818 so a site's own Slurm is never touched.
set -euo pipefail

usage() { sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; }
cmd=${1:-}; dir=${2:-}
case "$cmd" in -h|--help|"") usage; exit 0 ;; esac
[ -n "$dir" ] || { usage >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf=$dir/slurm.conf
ctld_port=${TESSERA_SLURMCTLD_PORT:-16817}
slurmd_port=${TESSERA_SLURMD_PORT:-16818}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2> /dev/null; }

# Stops the daemon whose pid file is $1 (only if that pid is alive), waiting up to 10 s.
stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2> /dev/null; then
    kill "$pid" 2> /dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2> /dev/null; then kill -9 "$pid" 2> /dev/null || true; fi
  fi
  rm -f "$f"
}

start() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "local-cluster: cannot start Slurm daemons: not root" >&2; exit 3
  fi
  local missing=() b
  for b in munged mungekey slurmctld slurmd sbatch scontrol sinfo scancel; do
    command -v "$b" > /dev/null || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "local-cluster: cannot start Slurm: missing ${missing[*]} (Debian: munge slurmctld slurmd slurm-client)" >&2
    exit 3
  fi
  export PATH=$PATH:/usr/sbin

  # munge: reuse a running one (another user of this machine may rely on it), else start ours.
  if ! munge -n 2> /dev/null | unmunge > /dev/null 2>&1; then
    [ -f /etc/munge/munge.key ] || mungekey --create --keyfile /etc/munge/munge.key
    chown munge: /etc/munge/munge.key && chmod 600 /etc/munge/munge.key
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge: /run/munge /var/log/munge /var/lib/munge
    chmod 755 /run/munge
    runuser -u munge -- munged --pid-file=/run/munge/munged.pid
    for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && break; sleep 0.1; done
    cp /run/munge/munged.pid "$dir/munged.pid"
    munge -n | unmunge > /dev/null || { echo "local-cluster: munged does not answer" >&2; exit 1; }
  fi

  local host cpus mem
  host=$(hostname -s)
  # What slurmd itself detects (nproc would follow OMP_NUM_THREADS).
  cpus=$(slurmd -C | sed -n 's/.* CPUs=\([0-9]*\).*/\1/p')
  mem=$(slurmd -C | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p')
  mkdir -p "$dir/state" "$dir/spool"
  cat > "$conf" <<CONF
# One-node Slurm written by scripts/slurm/local-cluster.sh; everything lives under $dir.
ClusterName=tessera-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SchedulerType=sched/backfill
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
MinJobAge=600
KillWait=10
InactiveLimit=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF
  if pid_alive "$dir/slurmctld.pid" || pid_alive "$dir/slurmd.pid"; then
    echo "local-cluster: already running under $dir" >&2
  else
    slurmctld -f "$conf" -c  # -c: clear state an earlier cluster left in DIR
    slurmd -f "$conf"
  fi
  export SLURM_CONF=$conf
  for _ in $(seq 100); do
    if sinfo -h -o '%T' 2> /dev/null | grep -qx 'idle'; then
      echo "export SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.3
  done
  echo "local-cluster: the node did not become idle in 30 s; sinfo says:" >&2
  sinfo >&2 || true
  tail -n 5 "$dir/slurmctld.log" "$dir/slurmd.log" >&2 || true
  exit 1
}

stop() {
  # slurmd first, so no job is left without its controller; munged only if we started it.
  stop_pidfile "$dir/slurmd.pid"
  stop_pidfile "$dir/slurmctld.pid"
  stop_pidfile "$dir/munged.pid"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) SLURM_CONF=$conf sinfo ;;
  *) usage >&2; exit 2 ;;
esac
