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
# `ballot check` judges the file again: it passes as recorded, and fails
# once one acknowledged increment's answer is made impossible.
"$BALLOT" check "$f" >"$TMP/check" || fail "ballot check failed on a good file"
grep -q 'linearizable  pass' "$TMP/check" || fail "check did not re-verify linearizability"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
	cp "$f" "$TMP/bad.h5"
	/usr/bin/python3 - "$TMP/bad.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    h = f["history"]
    rows = h[:]
    ok = [i for i in range(len(rows)) if rows["outcome"][i] == 0]
    rows["ret"][ok[len(ok) // 2]] = 10**12  # a counter value nobody produced
    h[...] = rows
PY
	set +e
	"$BALLOT" check "$TMP/bad.h5" >"$TMP/check" 2>&1
	rc=$?
	set -e
	[ $rc -eq 3 ] || fail "ballot check of a corrupted history exited $rc, expected 3"
	grep -q 'linearizable  FAIL' "$TMP/check" || fail "check did not report the violation"
else
	echo "skipping the corrupted-history check: /usr/bin/python3 lacks h5py (python3-h5py)"
fi
echo ok
