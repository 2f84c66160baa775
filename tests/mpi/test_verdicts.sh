# Verdicts that prove nothing must not read as pass.
#  1. A linearizability check that cannot finish (a time limit too short for
#     any key) is inconclusive on the terminal, in the file (root attribute
#     and /verdicts), in `ballot report` and in the exit status (4); `ballot
#     check` says the same under the same limit and passes with time to spare.
#  2. Replica digests are compared at the checkpoints replicas share, so a
#     raft run ends with a real digest verdict (not "unknown" because the
#     replicas stopped a few commands apart); `ballot check` re-judges them
#     from /digests and fails a divergence on the common prefix.
#     With no crash, the storage verdict (no log refused recovery) is unknown.
#  3. The sampled linearizability check (history off) covers the workload's
#     hottest keys, and the run says and stores what share of the operations
#     it checked: well above the 1-in-64 hash sample's for zipfian YCSB-A.
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
rm -f "$f"

run 3 run configs/default.ini "${QUICK[@]}" -o experiment.kernel=raft -o cluster.replicas=3 \
	-o storage.mode=write -o storage.dir="$TMP"
expect_rc 0
# No crash, so no log was read back: the storage verdict has nothing to show.
grep -q '# verdict storage       unknown      write mode: no rank recovered from its log (0 crashes' "$TMP/out" ||
	fail "storage verdict without a recovery is not unknown"
grep -q '# verdict digests       pass         replicas agree at [0-9]* shared checkpoints in 3 of 3 shards' \
	"$TMP/out" || fail "no digest verdict over shared checkpoints"
f=$(only_file)
"$BALLOT" check "$f" >"$TMP/check" || fail "ballot check of the raft run failed"
grep -q 'digests       pass         replicas agree' "$TMP/check" || fail "check did not re-judge /digests"
line=$(grep '# verdict linearizable' "$TMP/out")
echo "$line" | grep -q 'pass .*checked the 8 hottest keys and 1 in 64 by hash: [0-9.]*% of the operations' ||
	fail "sampled verdict does not say what share of the operations it checked"
pct=$(echo "$line" | sed 's/.*by hash: \([0-9.]*\)% of the operations.*/\1/')
awk -v p="$pct" 'BEGIN { exit !(p > 5) }' || fail "hot keys left out: only $pct% of the operations checked"
frac=$(h5dump -a verdicts/lin_checked_fraction "$f" | sed -n 's/^ *(0): //p')
awk -v f="$frac" -v p="$pct" 'BEGIN { exit !(f * 100 > p - 0.1 && f * 100 < p + 0.1) }' ||
	fail "stored lin_checked_fraction $frac does not match the printed $pct%"
if [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
	/usr/bin/python3 - "$f" <<'PY'
import sys, h5py
from collections import Counter
with h5py.File(sys.argv[1], "r+") as f:
    d = f["digests"]
    rows = d[:]
    seen = Counter((int(r["shard"]), int(r["applied"])) for r in rows)
    # the lowest checkpoint two replicas share: flip one replica's digest there
    i = min((i for i, r in enumerate(rows) if seen[(int(r["shard"]), int(r["applied"]))] > 1),
            key=lambda i: int(rows["applied"][i]))
    rows["digest"][i] = 1 if int(rows["digest"][i]) != 1 else 2
    d[...] = rows
PY
	set +e
	"$BALLOT" check "$f" >"$TMP/check" 2>&1
	rc=$?
	set -e
	[ $rc -eq 3 ] || fail "ballot check of a diverged replica exited $rc, expected 3"
	grep -q 'digests       FAIL         shard [0-9]*: after [0-9]* commands' "$TMP/check" ||
		fail "check did not report the divergence"
else
	echo "skipping the diverged-digest check: /usr/bin/python3 lacks h5py (python3-h5py)"
fi
echo ok
