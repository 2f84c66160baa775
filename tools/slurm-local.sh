#!/usr/bin/env bash
# A single-node Slurm cluster on this machine, for trying and testing the
# sbatch scripts in slurm/ (Debian's slurm-wlm and munge; installed with
# apt-get when missing and we are root).
#
#   eval "$(tools/slurm-local.sh start)"   # prints: export SLURM_CONF=... SLURM_LOCAL_DIR=...
#                                          # (and OMPI_MCA_mpi_yield_when_idle=1: see below)
#   sbatch --wait slurm/run.sbatch configs/default.ini
#   tools/slurm-local.sh stop              # uses $SLURM_LOCAL_DIR, or: stop DIR
#   tools/slurm-local.sh status [DIR]
#
# Everything lives in one temporary directory (config, munge key and socket,
# state, spool, logs, the PIDs of the daemons): nothing under /etc, /var or
# /run is touched, and the system's own munge/slurm services are ignored.
# munged runs as user munge when we are root (as the caller otherwise);
# slurmctld and slurmd run in the foreground, in the background of this
# script, on free loopback ports. One node "localhost" with CPUS (default 8)
# CPUs, so 3+ tasks fit on a 2-core machine; as that oversubscribes the
# cores, start also exports OMPI_MCA_mpi_yield_when_idle=1 so Open MPI
# yields. `stop` cancels the jobs, then kills exactly the PIDs that `start`
# recorded, and removes the directory (KEEP=1 keeps it, e.g. for the logs).
#
# Environment: CPUS (8), START_TIMEOUT (60 s), KEEP (0).
set -euo pipefail

CPUS=${CPUS:-8}
START_TIMEOUT=${START_TIMEOUT:-60}
PKGS="slurmctld slurmd slurm-client munge"

log() { echo "slurm-local: $*" >&2; }
die() {
	log "$*"
	exit 1
}

need_packages() {
	local missing=()
	for c in slurmctld slurmd sinfo sbatch srun munged; do
		PATH=$PATH:/usr/sbin:/sbin command -v "$c" >/dev/null 2>&1 || missing+=("$c")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "installing $PKGS (missing: ${missing[*]})"
		export DEBIAN_FRONTEND=noninteractive
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $PKGS >/dev/null ||
			{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $PKGS >/dev/null; } ||
			die "apt-get install $PKGS failed"
	else
		die "missing ${missing[*]}; install the Debian packages: $PKGS"
	fi
}

# A TCP port on 127.0.0.1 that nothing listens on, from a range away from
# Slurm's defaults (6817/6818) so a real installation does not clash.
free_port() {
	local p tries=0
	while [ $tries -lt 200 ]; do
		p=$((20000 + RANDOM % 20000))
		tries=$((tries + 1))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			[ "$p" != "${1:-}" ] && { echo "$p"; return 0; }
		fi
	done
	die "no free TCP port found"
}

# pid_alive PID NAME: PID runs a program called NAME (guards against reuse)
# and is not a zombie waiting for its parent.
pid_alive() {
	[ -n "$1" ] && [ -r "/proc/$1/comm" ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ] &&
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

# running PID: the process exists and is not a zombie.
running() {
	kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]
}

dump_logs() {
	local d=$1 f
	for f in "$d"/log/*.log; do
		[ -f "$f" ] || continue
		echo "---- $f (last 20 lines)" >&2
		tail -n 20 "$f" >&2
	done
}

start_cleanup() {
	local rc=$?
	[ "$START_OK" = 1 ] && return
	log "start failed (status $rc); stopping what was started"
	dump_logs "$START_DIR"
	stop_dir "$START_DIR"
	if [ "$START_CREATED" = 1 ] && [ "${KEEP:-0}" != 1 ]; then rm -rf "$START_DIR"; fi
}

start() {
	local d=${1:-} created=0
	need_packages
	export PATH=$PATH:/usr/sbin:/sbin
	if [ -z "$d" ]; then
		# Not under a private (0700) test directory: munged, running as
		# user munge, must reach its socket.
		d=$(mktemp -d "${TMPDIR:-/tmp}/ballot-slurm.XXXXXX")
		created=1
	else
		mkdir -p "$d"
	fi
	d=$(cd "$d" && pwd)
	[ ! -e "$d/pids" ] || die "$d already holds a cluster (stop it first)"
	# On any failure (or a signal) from here on: show the logs, stop what
	# was started, remove what we made.
	START_DIR=$d START_CREATED=$created START_OK=0
	trap start_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	chmod 755 "$d"
	mkdir -p "$d/state" "$d/spool" "$d/log" "$d/munge"
	: >"$d/pids"

	# munge: its own key and socket. munged insists that its directories
	# are owned by its user and not writable by others.
	local me user
	me=$(id -un)
	user=$me
	if [ "$(id -u)" = 0 ] && id munge >/dev/null 2>&1; then
		user=munge
	fi
	chmod 711 "$d/munge"
	dd if=/dev/urandom of="$d/munge/munge.key" bs=1024 count=1 status=none
	chmod 400 "$d/munge/munge.key"
	chown -R "$user:" "$d/munge" 2>/dev/null || true
	local run_as=()
	[ "$user" != "$me" ] && run_as=(setpriv "--reuid=$user" "--regid=$(id -g "$user")" --init-groups)
	"${run_as[@]}" munged -F --socket="$d/munge/munge.socket" --key-file="$d/munge/munge.key" \
		--pid-file="$d/munge/munged.pid" --seed-file="$d/munge/munged.seed" \
		--log-file="$d/munge/munged.log" >"$d/log/munged.out" 2>&1 &
	echo "munged $!" >>"$d/pids"
	local i
	for ((i = 0; i < START_TIMEOUT * 10; i++)); do
		[ -S "$d/munge/munge.socket" ] && break
		# kill -0, not pid_alive: until setpriv has exec'd munged, the
		# process is still called setpriv. It is our child: no reuse.
		kill -0 "$(awk '$1 == "munged" { print $2 }' "$d/pids")" 2>/dev/null ||
			{ cat "$d/log/munged.out" "$d/munge/munged.log" >&2 2>/dev/null || true; die "munged did not start"; }
		sleep 0.1
	done
	[ -S "$d/munge/munge.socket" ] || die "munged socket did not appear in ${START_TIMEOUT}s"

	local cport dport
	cport=$(free_port)
	dport=$(free_port "$cport")
	cat >"$d/slurm.conf" <<EOF
# Single-node Slurm cluster written by tools/slurm-local.sh; loopback only.
ClusterName=ballotlocal
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$cport
SlurmdPort=$dport
SlurmUser=$me
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$d/munge/munge.socket
StateSaveLocation=$d/state
SlurmdSpoolDir=$d/spool
SlurmctldPidFile=$d/slurmctld.pid
SlurmdPidFile=$d/slurmd.pid
SlurmctldLogFile=$d/log/slurmctld.log
SlurmdLogFile=$d/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
# Trust the CPU count below even though the machine has fewer cores.
SlurmdParameters=config_overrides
ReturnToService=2
MailProg=/bin/true
# sbatch --wait polls every 2 s only while MinJobAge <= 5 (else 8 s, then 32 s).
MinJobAge=5
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$CPUS RealMemory=1024 State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
	[ "$me" = root ] || sed -i "s/^SlurmdUser=root/SlurmdUser=$me/" "$d/slurm.conf"
	export SLURM_CONF=$d/slurm.conf

	slurmctld -D -i -f "$SLURM_CONF" >"$d/log/slurmctld.out" 2>&1 &
	echo "slurmctld $!" >>"$d/pids"
	slurmd -D -N localhost -f "$SLURM_CONF" >"$d/log/slurmd.out" 2>&1 &
	echo "slurmd $!" >>"$d/pids"

	local state="" name pid
	for ((i = 0; i < START_TIMEOUT * 2; i++)); do
		while read -r name pid; do
			kill -0 "$pid" 2>/dev/null || {
				cat "$d/log/$name.out" >&2 2>/dev/null || true
				die "$name exited during start-up"
			}
		done <"$d/pids"
		state=$(timeout 5 sinfo -h -n localhost -o %t 2>/dev/null || true)
		case "$state" in
		idle*) break ;;
		drain* | inval* | down*)
			# A node that was down at registration comes back by itself
			# with ReturnToService=2; give it a nudge anyway.
			timeout 5 scontrol update nodename=localhost state=resume >/dev/null 2>&1 || true
			;;
		esac
		sleep 0.5
	done
	if [ "${state#idle}" = "$state" ]; then
		timeout 5 sinfo -R >&2 2>/dev/null || true
		die "node localhost not idle after ${START_TIMEOUT}s (state '${state:-none}')"
	fi
	START_OK=1
	log "cluster up in $d (node localhost idle, $CPUS CPUs, slurmctld port $cport)"
	# The node claims more CPUs than there are cores: tell Open MPI that it
	# is oversubscribed, or its busy polling makes collectives (the HDF5
	# write above all) crawl. mpirun --oversubscribe does the same.
	local yield=""
	if [ "$CPUS" -gt "$(nproc 2>/dev/null || echo 1)" ]; then yield=" OMPI_MCA_mpi_yield_when_idle=1"; fi
	echo "export SLURM_CONF='$d/slurm.conf' SLURM_LOCAL_DIR='$d'$yield"
}

# Cancel the jobs, then kill the daemons recorded in DIR/pids (slurmd first,
# munged last), TERM then KILL after 10 s.
stop_dir() {
	local d=$1 name pid i
	[ -f "$d/pids" ] || return 0
	if [ -f "$d/slurm.conf" ]; then
		SLURM_CONF=$d/slurm.conf timeout 10 scancel --quiet --full -u "$(id -un)" >/dev/null 2>&1 || true
		for ((i = 0; i < 20; i++)); do
			[ -z "$(SLURM_CONF=$d/slurm.conf timeout 5 squeue -h -t running,completing -o %i 2>/dev/null)" ] && break
			sleep 0.5
		done
	fi
	for name in slurmd slurmctld munged; do
		pid=$(awk -v n="$name" '$1 == n { print $2 }' "$d/pids")
		# Right after start, the process may not have exec'd the daemon yet.
		pid_alive "$pid" "$name" || pid_alive "$pid" setpriv || pid_alive "$pid" slurm-local.sh || continue
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			running "$pid" || break
			sleep 0.1
		done
		if running "$pid"; then
			log "$name ($pid) ignored SIGTERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	rm -f "$d/pids"
}

stop() {
	local d=${1:-${SLURM_LOCAL_DIR:-}}
	if [ -z "$d" ] && [ -n "${SLURM_CONF:-}" ]; then d=$(dirname "$SLURM_CONF"); fi
	[ -n "$d" ] || die "stop: which cluster? give its directory or set SLURM_LOCAL_DIR"
	[ -d "$d" ] || die "stop: no directory $d"
	[ -f "$d/pids" ] || [ -f "$d/slurm.conf" ] || die "stop: $d is not a slurm-local directory"
	stop_dir "$d"
	if [ "${KEEP:-0}" = 1 ]; then
		log "stopped; logs kept in $d/log"
	else
		rm -rf "$d"
		log "stopped and removed $d"
	fi
}

status() {
	local d=${1:-${SLURM_LOCAL_DIR:-}} name pid rc=0
	if [ -z "$d" ] || [ ! -f "$d/pids" ]; then die "status: no running cluster recorded in '${d}'"; fi
	while read -r name pid; do
		if pid_alive "$pid" "$name"; then echo "$name $pid running"; else
			echo "$name $pid gone"
			rc=1
		fi
	done <"$d/pids"
	SLURM_CONF=$d/slurm.conf timeout 5 sinfo || rc=1
	return $rc
}

case "${1:-}" in
start) start "${2:-}" ;;
stop) stop "${2:-}" ;;
status) status "${2:-}" ;;
-h | --help)
	sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'
	;;
*)
	echo "usage: $0 start [DIR] | stop [DIR] | status [DIR]" >&2
	exit 2
	;;
esac
