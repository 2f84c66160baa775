#!/usr/bin/env bash
# Launch NP ranks of a command with the flags this machine needs:
#   tools/mpirun.sh NP COMMAND [ARGS...]
# Adds --oversubscribe when NP exceeds the cores, allows Open MPI to run as
# root, and keeps Open MPI on the local transports. MPIRUN and MPIRUN_FLAGS
# from the environment override the launcher and add flags.
set -euo pipefail
if [ $# -lt 2 ]; then
	echo "usage: $0 NP COMMAND [ARGS...]" >&2
	exit 2
fi
np=$1
shift
launcher=${MPIRUN:-mpirun}
flags=()
if "$launcher" --version 2>/dev/null | grep -q 'Open MPI'; then
	if [ "$(id -u)" = 0 ]; then
		export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
	fi
	cores=$(nproc 2>/dev/null || echo 1)
	if [ "$np" -gt "$cores" ]; then
		flags+=(--oversubscribe)
	fi
	# Loopback only; no warnings about absent high-speed networks.
	export OMPI_MCA_btl_base_warn_component_unused=0
	flags+=(--mca btl self,vader,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo)
fi
# shellcheck disable=SC2086
exec "$launcher" -n "$np" "${flags[@]}" ${MPIRUN_FLAGS:-} "$@"
