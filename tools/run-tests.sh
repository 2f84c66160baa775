#!/usr/bin/env bash
# Run test programs and scripts, one by one; print a summary line
# "N passed, N failed" that CI reads. Usage: run-tests.sh LABEL TEST...
# A test is a binary (cmocka) or a shell script (tests/mpi/*.sh).
set -u
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
pass=0
fail=0
failed=()
for t in "$@"; do
	log=$(mktemp)
	start=$(date +%s)
	case "$t" in
	*.sh) bash "$t" >"$log" 2>&1 ;;
	*) "$t" >"$log" 2>&1 ;;
	esac
	rc=$?
	secs=$(($(date +%s) - start))
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
		printf 'PASS  %-50s %4ds\n' "$t" "$secs"
	else
		fail=$((fail + 1))
		failed+=("$t")
		printf 'FAIL  %-50s %4ds (exit %d)\n' "$t" "$secs" "$rc"
		sed 's/^/    | /' "$log" | tail -n 60
	fi
	rm -f "$log"
done
echo "# $label: ${#failed[@]} failing: ${failed[*]:-none}"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
