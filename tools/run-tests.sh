#!/usr/bin/env bash
# Run test programs and scripts; print one PASS/FAIL line per test as it
# ends and a summary line "N passed, N failed" that CI reads.
#   run-tests.sh [-j N] LABEL TEST...
# A test is a binary (cmocka) or a shell script (tests/mpi/*.sh).
#
# -j N (or TEST_JOBS=N) runs up to N test scripts at once, and beside them
# the test programs one at a time at a lower priority. Most MPI tests spend
# their time waiting for timed phases, not computing, so on a 2-core machine
# several of them overlap well with each other and with the CPU-bound
# simulation tests. The longest tests start first (longest processing time
# first keeps the last test from starting alone near the end): each test's
# time is kept in $BUILD/test-times from the previous run; a test without
# one counts as long (simulations and MPI scripts) or short (unit tests), so
# new tests are picked up and placed sensibly on their first run.
set -u
jobs=${TEST_JOBS:-1}
if [ "${1:-}" = -j ]; then
	jobs=$2
	shift 2
fi
case $jobs in
'' | *[!0-9]* | 0)
	echo "run-tests.sh: -j needs a positive integer, got '$jobs'" >&2
	exit 2
	;;
esac
label=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-build}
export BALLOT="$here/$BUILD/ballot"
# Sanitizer settings (harmless without sanitizers): fail on the first error,
# and ignore leaks inside the MPI/hwloc/HDF5 libraries, which are not ours.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/tests/lsan.supp:print_suppressions=0:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
times_file="$here/$BUILD/test-times"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Two lanes, each in its own order: recorded seconds, else a default by
# kind; longest first.
declare -A last=()
if [ -r "$times_file" ]; then
	while read -r t s; do
		[ -n "${t:-}" ] && last[$t]=$s
	done <"$times_file"
fi
ordered() {
	local t s
	for t in "$@"; do
		s=${last[$t]:-}
		if [ -z "$s" ]; then
			case "$t" in
			*/sim/* | *.sh) s=1000 ;;
			*) s=0 ;;
			esac
		fi
		printf '%s\t%s\n' "$s" "$t"
	done | sort -t "$(printf '\t')" -k1,1nr -s | cut -f2-
}
scripts=()
progs=()
for t in "$@"; do
	case "$t" in
	*.sh) scripts+=("$t") ;;
	*) progs+=("$t") ;;
	esac
done
# A script marked "# run-tests: alone" in its first lines runs with no other
# script beside it (first, before the others start).
alone=()
shared=()
for t in ${scripts[@]+"${scripts[@]}"}; do
	if head -n 30 "$t" | grep -q '^# run-tests: alone'; then
		alone+=("$t")
	else
		shared+=("$t")
	fi
done
mapfile -t qs < <(
	ordered ${alone[@]+"${alone[@]}"}
	ordered ${shared[@]+"${shared[@]}"}
)
mapfile -t qp < <(ordered ${progs[@]+"${progs[@]}"})

pass=0
fail=0
failed=()
declare -A pid_test=() pid_start=() pid_lane=() pid_slots=()
run_s=0
run_p=0
# finish PID RC: report one ended test.
finish() {
	local p=$1 rc=$2 t=${pid_test[$1]} secs id
	secs=$(($(date +%s) - pid_start[$1]))
	id=$(printf '%s' "$t" | tr '/' '_')
	printf '%s %s\n' "$t" "$secs" >>"$work/times"
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS  %-50s %4ds\n' "$t" "$secs"
	else
		fail=$((fail + 1))
		failed+=("$t")
		printf 'FAIL  %-50s %4ds (exit %d)\n' "$t" "$secs" "$rc"
		sed 's/^/    | /' "$work/$id.log" | tail -n 60
	fi
	if [ "${pid_lane[$p]}" = s ]; then
		run_s=$((run_s - pid_slots[$p]))
	else
		run_p=$((run_p - 1))
	fi
	unset "pid_test[$p]" "pid_start[$p]" "pid_lane[$p]" "pid_slots[$p]"
}
# reap: wait for one test to end (any), then report it.
reap() {
	local p rc
	while :; do
		p=
		wait -n -p p
		rc=$?
		# bash unsets p when there is no job left to wait for.
		p=${p:-}
		[ -z "$p" ] && [ $rc -eq 127 ] && return # nothing left to wait for
		if [ -n "$p" ] && [ -n "${pid_test[$p]:-}" ]; then
			finish "$p" "$rc"
			return
		fi
	done
}
# slots TEST: the script slots TEST takes (all of them when it runs alone).
slots() {
	local a
	for a in ${alone[@]+"${alone[@]}"}; do
		[ "$a" = "$1" ] && echo "$jobs" && return
	done
	echo 1
}
# launch LANE TEST SLOTS: start one test in the background.
launch() {
	local id
	id=$(printf '%s' "$2" | tr '/' '_')
	case "$2" in
	*.sh) bash "$2" >"$work/$id.log" 2>&1 </dev/null & ;;
	*) "$2" >"$work/$id.log" 2>&1 </dev/null & ;;
	esac
	pid_test[$!]=$2
	pid_start[$!]=$(date +%s)
	pid_lane[$!]=$1
	pid_slots[$!]=$3
}
# With more than one job, test programs (unit tests, simulations: CPU-bound,
# not timed) run one at a time in a lane of their own, beside the scripts
# (MPI jobs, mostly waiting for timed phases), which get the -j slots. With
# -j 1 everything runs one after the other.
lanes_p=0
[ "$jobs" -gt 1 ] && lanes_p=1
start=$(date +%s)
is=0
ip=0
while [ $is -lt ${#qs[@]} ] || [ $ip -lt ${#qp[@]} ]; do
	w=0
	[ $is -lt ${#qs[@]} ] && w=$(slots "${qs[$is]}")
	if [ $is -lt ${#qs[@]} ] && [ $((run_s + w + (lanes_p ? 0 : run_p))) -le "$jobs" ]; then
		launch s "${qs[$is]}" "$w"
		is=$((is + 1))
		run_s=$((run_s + w))
	elif [ $ip -lt ${#qp[@]} ] && { [ $lanes_p -eq 1 ] && [ $run_p -lt 1 ] ||
		[ $lanes_p -eq 0 ] && [ $((run_s + run_p)) -lt "$jobs" ]; }; then
		launch p "${qp[$ip]}" 1
		ip=$((ip + 1))
		run_p=$((run_p + 1))
	else
		reap
	fi
done
while [ $((run_s + run_p)) -gt 0 ]; do
	reap
done
# Keep the times of the tests not run this time; replace the others.
if [ -d "$(dirname "$times_file")" ]; then
	{
		cat "$work/times"
		if [ -r "$times_file" ]; then
			awk 'NR == FNR { seen[$1] = 1; next } !($1 in seen)' "$work/times" "$times_file"
		fi
	} >"$work/times.new" && mv "$work/times.new" "$times_file"
fi
echo "# $label: ${#failed[@]} failing: ${failed[*]:-none} ($(($(date +%s) - start)) s, $jobs at a time)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
