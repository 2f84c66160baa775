# Fault schedules end to end, on 3 ranks with the none kernel:
#  - 5% message loss with the counter workload: clients retry the same
#    (client, seq), the store applies each increment at most once, so the
#    counter is exact and the history linearizable;
#  - a crash of shard 0's owner and its recovery, with the write-ahead log
#    on disk (storage.mode = write): events and an availability row land in
#    the file and the report, and the owner comes back from its log with
#    every write it acknowledged (the none kernel applies a write only once
#    its record is durable), so the history stays linearizable across the
#    crash and the storage verdict passes;
#  - a pause longer than the rest of the run is cut at its end (with a
#    warning) instead of holding the job; a fault timed after the end of the
#    run is announced at validation and recorded as not applied (/faults
#    row with applied = 0, a fault_not_applied event);
#  - a bad schedule is refused with file:line before anything runs, and so
#    is a transfer with a kernel that has no leaders.
. "$(dirname "$0")/lib.sh"
cat >"$TMP/drop.faults" <<'F'
0.3s drop 0.05 all for 0.8s
0.5s duplicate 0.05 all for 0.5s
F
run 3 run configs/counter.ini "${QUICK[@]}" -o faults.schedule="$TMP/drop.faults" \
	-o experiment.history=1 -o clients.timeout_ms=20
expect_rc 0
grep -q '# verdict counter .*pass' "$TMP/out" || fail "counter not exact under loss"
grep -q '# verdict linearizable .*pass' "$TMP/out" || fail "history not linearizable under loss"
# Lost messages show up as client retransmissions.
r=$(sed -n 's/^# clients: \([0-9]*\) retries.*/\1/p' "$TMP/out")
[ -n "$r" ] && [ "$r" -gt 0 ] || fail "no client retries reported under 5% loss ('$r')"
rm -f "$TMP"/*.h5

cat >"$TMP/crash.faults" <<'F'
0.5s crash leader:0
0.8s recover leader:0
F
mkdir -p "$TMP/disk"
run 3 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/crash.faults" \
	-o clients.timeout_ms=50 -o experiment.history=1 -o storage.mode=write -o storage.dir="$TMP/disk"
expect_rc_pass_or_inconclusive
grep -q '# verdict storage  *pass' "$TMP/out" || fail "the owner did not recover from its log"
t=$(sed -n 's/^# clients: [0-9]* retries, \([0-9]*\) timeouts.*/\1/p' "$TMP/out")
[ -n "$t" ] && [ "$t" -gt 0 ] || fail "no client timeouts reported while a shard owner was down ('$t')"
grep -q '# fault .*crash leader:0' "$TMP/out" || fail "no fault row in the summary"
f=$(only_file)
h5dump -H "$f" >"$TMP/h5"
grep -q 'DATASET "faults"' "$TMP/h5" || fail "no /faults in the file"
h5dump -d /events "$f" >"$TMP/ev"
grep -q 'crash' "$TMP/ev" || fail "no crash event"
grep -q 'recover' "$TMP/ev" || fail "no recover event"
u=$(csv_field "$f" unavail_ms)
awk -v x="$u" 'BEGIN { exit !(x >= 0) }' || fail "unavail_ms '$u'"

rm -f "$TMP"/*.h5

cat >"$TMP/late.faults" <<'F'
0.5s pause rank:1 1000s
9s crash rank:2
F
start=$(date +%s)
run 3 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/late.faults"
expect_rc 0
[ $(($(date +%s) - start)) -lt 60 ] || fail "the long pause held the job"
expect_out 'late.faults:1: "500ms pause rank:1 1000s" outlasts the run.*cut at the end'
expect_out 'late.faults:2: "9s crash rank:2" is timed after the end of the run.*not be applied'
expect_out '# fault .*not applied.*9s crash rank:2'
f=$(only_file)
/usr/bin/python3 - "$f" <<'P' || fail "the late fault is not recorded as not applied"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
rows = {bytes(r["description"]).decode(): r for r in f["faults"][:]}
assert rows["9s crash rank:2"]["applied"] == 0, rows
assert rows["500ms pause rank:1 1000s"]["applied"] == 1, rows
names = [a.split(":")[0] for a in f["events"].attrs["type_args"]]
types = [names[e["type"]] for e in f["events"][:]]
assert "fault_not_applied" in types and "crash" not in types, types
assert "resume" in types, types
P

# A run by ops ends at its deadline at the latest: the same warnings, and
# the pause is cut there.
printf '0.3s pause rank:0 1000s\n50s crash rank:0\n' >"$TMP/late.faults"
start=$(date +%s)
run 1 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/late.faults" \
	-o experiment.ops=100000000 -o experiment.deadline_s=1.5 --out "$TMP/ops.h5"
[ $(($(date +%s) - start)) -lt 60 ] || fail "the long pause held the run by ops"
expect_out '"300ms pause rank:0 1000s" outlasts the run (1.7s: warm-up + deadline)'
expect_out '"50s crash rank:0" is timed after the end of the run (1.7s: warm-up + deadline)'
expect_out '# fault .*not applied.*50s crash rank:0'
rm -f "$TMP/ops.h5"

printf '0.5s transfer shard:0\n' >"$TMP/bad.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/bad.faults"
expect_rc 2
expect_out "bad.faults:1: .*kernel 'none' has no leadership transfer"
printf '1s crash rank:7\n' >"$TMP/bad.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/bad.faults"
expect_rc 2
expect_out 'bad.faults:1'
printf '1s recover rank:1\n' >"$TMP/bad.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o faults.schedule="$TMP/bad.faults"
expect_rc 2
expect_out 'recover'
echo ok
