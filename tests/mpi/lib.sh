# Shared helpers for the end-to-end MPI tests (sourced, not run).
# Each test gets a private temporary directory, removed on exit.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
BALLOT=${BALLOT:-$ROOT/$BUILD/ballot}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$ROOT"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run NP ARGS... : run ballot on NP ranks; output in $TMP/out, status in $RC.
run() {
	local np=$1
	shift
	set +e
	tools/mpirun.sh "$np" "$BALLOT" "$@" >"$TMP/out" 2>&1
	RC=$?
	set -e
	cat "$TMP/out"
}

# Quick-run overrides: short phases so a test takes a couple of seconds.
QUICK=(-o experiment.duration_s=1 -o experiment.warmup_s=0.2 -o baseline.iterations=20
	-o experiment.output_dir="$TMP")

expect_rc() {
	[ "$RC" -eq "$1" ] || fail "expected exit status $1, got $RC"
}

expect_out() {
	grep -q -- "$1" "$TMP/out" || fail "output lacks '$1'"
}

# csv_field FILE COLUMN: the value of COLUMN in the report row of FILE.
csv_field() {
	"$BALLOT" report --csv "$1" | awk -F, -v col="$2" '
		NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
		c { print $c; exit }'
}

only_file() {
	local files
	files=$(find "$TMP" -maxdepth 1 -name '*.h5')
	[ "$(echo "$files" | grep -c .)" -eq 1 ] || fail "expected one result file, found: $files"
	echo "$files"
}

no_tmp_files() {
	if find "$TMP" -name '*.tmp*' | grep -q .; then
		fail "temporary result files left behind"
	fi
}

# Counter workloads under faults: hundreds of concurrent increments on a few
# keys can exhaust the linearizability search's budget. That verdict is then
# "inconclusive" (exit 4), which is honest; it must never be "fail". The run's
# other verdicts are asserted by the caller.
expect_rc_pass_or_inconclusive() {
	[ "$RC" -eq 0 ] || [ "$RC" -eq 4 ] || fail "expected exit status 0 or 4 (inconclusive), got $RC"
	grep -q '# verdict linearizable *\(pass\|inconclusive\)' "$TMP/out" ||
		fail "linearizability neither passed nor was inconclusive"
	if [ "$RC" -eq 4 ]; then
		grep -q '# verdict linearizable *inconclusive' "$TMP/out" ||
			fail "exit 4 without an inconclusive linearizability check"
		[ "$(grep -c '^# verdict [a-z]* *inconclusive' "$TMP/out")" -eq 2 ] ||
			fail "exit 4: a verdict other than linearizability was inconclusive"
	fi
}
