# Verdicts that prove nothing must not read as pass.
#  1. A linearizability check that cannot finish (a time limit too short for
#     any key) is inconclusive on the terminal, in the file (root attribute
#     and /verdicts), in `ballot report` and in the exit status (4); `ballot
#     check` says the same under the same limit and passes with time to spare.
. "$(dirname "$0")/lib.sh"

run 2 run configs/counter.ini "${QUICK[@]}" -o experiment.history=1 \
	-o experiment.check_time_limit_s=0.000001
expect_rc 4
grep -q '# verdict linearizable  inconclusive inconclusive: time limit reached on key' "$TMP/out" ||
	fail "no inconclusive linearizability verdict with its reason"
grep -q '# verdict overall       inconclusive' "$TMP/out" || fail "overall verdict not inconclusive"
f=$(only_file)
[ "$(csv_field "$f" verdict)" = inconclusive ] || fail "report verdict column: $(csv_field "$f" verdict)"
h5dump -a verdict "$f" | grep -q '"inconclusive"' || fail "root attribute verdict"
h5dump -d verdicts "$f" | grep -q '^ *inconclusive,' || fail "/verdicts row"
set +e
"$BALLOT" check --time-limit 0.000001 "$f" >"$TMP/check" 2>&1
rc=$?
set -e
[ $rc -eq 4 ] || fail "ballot check under a tiny time limit exited $rc, expected 4"
grep -q 'linearizable  inconclusive' "$TMP/check" || fail "check did not say inconclusive"
"$BALLOT" check "$f" >"$TMP/check" || fail "ballot check with time to spare failed"
grep -q 'linearizable  pass' "$TMP/check" || fail "check did not pass with time to spare"
echo ok
