# Measurement accounting end to end: every intended operation of the
# measured window is counted (ok, error or unfinished), an overloaded open
# loop shows its latency and its offered and achieved rates, experiment.ops
# counts measured operations only, and a run by ops that cannot reach its
# quota ends at its deadline with its file and a verdict that says so.
. "$(dirname "$0")/lib.sh"

# summary_num WORD: the number before WORD on the "# measured" line.
summary_num() {
	grep '^# measured' "$TMP/out" | grep -Eo "[0-9]+ $1" | grep -Eo '^[0-9]+'
}

expect_re() { grep -Eq -- "$1" "$TMP/out" || fail "output lacks /$1/"; }

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }

# 1. Open loop far beyond what 3 ranks serve: 5,000,000 ops/s offered. The
# arrivals of the warm-up alone outlast the run, so no measured operation
# is served: the run must say so (verdict "measured" fails, exit 3), count
# every intended operation as unfinished, and report huge latencies.
run 3 run configs/default.ini "${QUICK[@]}" -o clients.rate=5000000
expect_rc 3
expect_re "verdict measured +FAIL"
f=$(only_file)
off=$(csv_field "$f" offered_per_s)
ach=$(csv_field "$f" achieved_per_s)
p99=$(csv_field "$f" p99_us)
# A Poisson count over 1 s at 5e6/s: within 1% of the rate.
ge "$off" 4950000 && ge 5050000 "$off" || fail "offered rate $off, expected ~5000000"
ge "$ach" 1 && ge $((5000000 / 10)) "$ach" || fail "achieved rate $ach"
# The first measured arrival waited at least the whole 1 s window.
ge "$p99" 500000 || fail "p99 $p99 us under overload, expected >= 0.5 s"
ok=$(summary_num 'ops ok')
err=$(summary_num errors)
unf=$(summary_num unfinished)
offered=$(grep '^# offered' "$TMP/out" | awk '{ print $3 }')
[ $((ok + err + unf)) -eq "$offered" ] ||
	fail "ok $ok + errors $err + unfinished $unf != offered $offered"
ge "$unf" 4000000 || fail "only $unf unfinished operations of $offered"
rm -f "$TMP"/*.h5

# 2. A rate the ranks serve: nearly everything completes, and the offered
# and achieved rates agree with the configured rate.
run 3 run configs/default.ini "${QUICK[@]}" -o clients.rate=3000
expect_rc 0
f=$(only_file)
off=$(csv_field "$f" offered_per_s)
ach=$(csv_field "$f" achieved_per_s)
ge "$off" 2700 && ge 3300 "$off" || fail "offered rate $off, expected ~3000"
ge "$ach" 2700 && ge 3300 "$ach" || fail "achieved rate $ach, expected ~3000"
ok=$(summary_num 'ops ok')
err=$(summary_num errors)
unf=$(summary_num unfinished)
offered=$(grep '^# offered' "$TMP/out" | awk '{ print $3 }')
[ $((ok + err + unf)) -eq "$offered" ] || fail "ok $ok + errors $err + unfinished $unf != offered $offered"
rm -f "$TMP"/*.h5

# 3. experiment.ops counts measured operations only, not warm-up ones.
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.ops=3000 -o experiment.warmup_s=0.5
expect_rc 0
grep -Eq '^  all +3000 +0 +0 ' "$TMP/out" || fail "expected 3000 measured operations"
rm -f "$TMP"/*.h5

# 4. A quota that cannot be reached (every rank cut off from the others, so
# Raft has no majority): the deadline ends the run, the file is written and
# the verdict names what was not reached.
printf '0.3s partition 0|1|2\n' >"$TMP/cut.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.kernel=raft -o cluster.replicas=3 \
	-o faults.schedule="$TMP/cut.faults" -o experiment.ops=5000000 -o experiment.duration_s=0 \
	-o experiment.deadline_s=2
expect_rc 3
expect_re "verdict ops +FAIL +deadline passed: experiment.deadline_s = 2 s"
f=$(only_file)
[ "$(csv_field "$f" verdict)" = fail ] || fail "verdict in the file is not fail"
echo ok
