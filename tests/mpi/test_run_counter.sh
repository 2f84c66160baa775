# The counter workload with the history on, 2 ranks: the counter verdict
# and the linearizability verdict must both pass, and the file must say so.
. "$(dirname "$0")/lib.sh"
run 2 run configs/counter.ini "${QUICK[@]}" -o experiment.history=1 -o clients.outstanding=2
expect_rc 0
grep -q '# verdict counter .*pass' "$TMP/out" || fail "counter verdict did not pass"
grep -q '# verdict linearizable .*pass' "$TMP/out" || fail "linearizability verdict did not pass"
f=$(only_file)
[ "$(csv_field "$f" verdict)" = pass ] || fail "verdict column"
h5dump -H "$f" >"$TMP/h5" || fail "h5dump failed"
grep -q "DATASET \"history\"" "$TMP/h5" || fail "no history in the file"
echo ok
