#!/usr/bin/env bash
# Make sure the build dependencies are present: a C compiler and the MPI
# wrapper around it, parallel HDF5, hwloc, inih and cmocka. With --test also
# what the tests need: h5py and matplotlib (tools/ballot-plot), Slurm and
# munge (tests/mpi/test_slurm.sh). An existing environment (a cluster's
# `module load`) is honoured: if a probe program compiles and links with
# what is found through mpicc and pkg-config, nothing is installed.
# Otherwise, on Debian/Ubuntu the packages are installed with apt-get (through
# sudo when not root); elsewhere the exact packages are printed and we stop.
set -euo pipefail
# mpicc is only a wrapper: it needs gcc and the C library headers, which
# libopenmpi-dev does not pull in (a minimal Debian has neither).
PKGS="gcc libc6-dev make openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools libhwloc-dev
hwloc libcmocka-dev libinih-dev pkg-config"
PLOT_PKGS="python3 python3-h5py python3-matplotlib"
# procps: pgrep/ps in slurm-local.sh; hostname for Slurm's node name.
TEST_PKGS="$PLOT_PKGS slurmctld slurmd slurm-client munge procps hostname"
case "${1:-}" in
--test) PKGS="$PKGS $TEST_PKGS" ;;
"") ;;
*)
	echo "usage: tools/install-deps.sh [--test]" >&2
	exit 2
	;;
esac
# With PLOT=1 also the plotting stack (h5py and matplotlib for /usr/bin/python3).
if [ "${PLOT:-0}" = 1 ]; then PKGS="$PKGS $PLOT_PKGS"; fi

probe() {
	command -v mpicc >/dev/null 2>&1 || return 1
	command -v pkg-config >/dev/null 2>&1 || return 1
	local hdf5pkg=hdf5-openmpi
	pkg-config --exists hdf5-openmpi || hdf5pkg=hdf5
	pkg-config --exists "$hdf5pkg" hwloc inih cmocka || return 1
	local dir
	dir=$(mktemp -d)
	cat >"$dir/p.c" <<'C'
#include <mpi.h>
#include <hdf5.h>
#include <hwloc.h>
#include <ini.h>
#if !defined(H5_HAVE_PARALLEL)
#error "HDF5 was built without parallel support"
#endif
int main(void) { return H5Pset_fapl_mpio != 0 && hwloc_topology_init != 0 && ini_parse != 0 ? 0 : 1; }
C
	# shellcheck disable=SC2046
	if mpicc -o "$dir/p" "$dir/p.c" $(pkg-config --cflags --libs "$hdf5pkg" hwloc inih) >/dev/null 2>&1; then
		rm -rf "$dir"
		return 0
	fi
	rm -rf "$dir"
	return 1
}

missing_debian() {
	local m=()
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || m+=("$p")
	done
	echo "${m[*]:-}"
}

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
	need=$(missing_debian)
	if [ -z "$need" ] && probe; then
		exit 0
	fi
	if [ -z "$need" ]; then
		echo "install-deps: packages are installed but the probe program does not build; check mpicc and pkg-config" >&2
		exit 1
	fi
	echo "install-deps: installing $need"
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086
	$sudo apt-get update -qq && $sudo apt-get install -y -qq --no-install-recommends $need
	probe || { echo "install-deps: installed, but a probe program still does not build" >&2; exit 1; }
	exit 0
fi

if probe; then
	exit 0
fi
cat >&2 <<MSG
install-deps: cannot find a working MPI + parallel HDF5 + hwloc + inih + cmocka toolchain,
and this is not a Debian/Ubuntu system, so nothing was installed.
On Debian/Ubuntu the packages are:
  $PKGS
On a cluster, load the modules that provide mpicc, parallel HDF5 (pkg-config name
'hdf5' or HDF5_CFLAGS/HDF5_LIBS), hwloc, inih and cmocka, then run make again.
MSG
exit 1
