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
# arrivals queue up, so most intended operations stay unfinished: the run
# counts them, reports huge latencies, and when no measured operation was
# served at all it says so (verdict "measured" fails, exit 3).
run 3 run configs/default.ini "${QUICK[@]}" -o clients.rate=5000000
if [ "$(summary_num 'ops ok')" -eq 0 ]; then
	expect_rc 3
	expect_re "verdict measured +FAIL"
else
	expect_rc 0
fi
f=$(only_file)
off=$(csv_field "$f" offered_per_s)
ach=$(csv_field "$f" achieved_per_s)
p99=$(csv_field "$f" p99_us)
# A Poisson count over 1 s at 5e6/s: within 1% of the rate.
ge "$off" 4950000 && ge 5050000 "$off" || fail "offered rate $off, expected ~5000000"
ge "$ach" 1 && ge "$off" "$ach" || fail "achieved rate $ach for $off offered"
# The first measured arrival waited at least the whole 1 s window.
ge "$p99" 500000 || fail "p99 $p99 us under overload, expected >= 0.5 s"
ok=$(summary_num 'ops ok')
err=$(summary_num errors)
unf=$(summary_num unfinished)
offered=$(grep '^# offered' "$TMP/out" | awk '{ print $3 }')
[ $((ok + err + unf)) -eq "$offered" ] ||
	fail "ok $ok + errors $err + unfinished $unf != offered $offered"
ge "$unf" 1 || fail "no unfinished operation of $offered under overload"
rm -f "$TMP"/*.h5

# 2. A modest rate: the offered rate is the configured one, the achieved
# rate cannot exceed it, and every intended operation is accounted for.
run 3 run configs/default.ini "${QUICK[@]}" -o clients.rate=3000
expect_rc 0
f=$(only_file)
off=$(csv_field "$f" offered_per_s)
ach=$(csv_field "$f" achieved_per_s)
ge "$off" 2700 && ge 3300 "$off" || fail "offered rate $off, expected ~3000"
# What is achieved depends on the machine's load: only its bounds are asserted.
ge "$ach" 1 && ge "$(awk -v o="$off" 'BEGIN { print o * 1.1 }')" "$ach" || fail "achieved rate $ach for $off offered"
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
rm -f "$TMP"/*.h5

# 5. Status lines: warm-up is labelled as such with its own clock, measured
# time counts from the start of measurement (the interval that would span
# both is cut there), the running p99 leaves warm-up out (the first measured
# line's run p99 is its own p99), and a pause is an active fault in the
# lines it overlaps although the paused rank reports after it.
printf '0.8s pause rank:1 700ms\n' >"$TMP/pause.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.warmup_s=0.7 -o experiment.duration_s=2 \
	-o faults.schedule="$TMP/pause.faults"
expect_rc 0
grep '^\[' "$TMP/out" >"$TMP/status"
sed -n 1p "$TMP/status" | grep -Eq '^\[warm-up +0\.7 s\]' || fail "first line is not warm-up at 0.7 s"
sed -n 2p "$TMP/status" | grep -Eq '^\[measure +1\.0 s\]' || fail "second line is not measure at 1.0 s"
sed -n 3p "$TMP/status" | grep -Eq '^\[measure +2\.0 s\]' || fail "third line is not measure at 2.0 s"
sed -n 2p "$TMP/status" | awk '{ for (i = 1; i <= NF; i++) if ($i == "p99") p = $(i + 1);
	r = $0; sub(/.*\(run +/, "", r); sub(/ us\).*/, "", r); exit !(p == r) }' ||
	fail "running p99 of the first measured line is not its own p99"
sed -n 2p "$TMP/status" | grep -q 'faults 1$' || fail "the pause is not an active fault"
rm -f "$TMP"/*.h5

# 6. Availability covers the whole run: Raft loses its majority for good
# (every rank cut off) 0.1 s into a 1.5 s measured phase. Nothing completes
# after it, so the fault cost the rest of the run, and throughput never came
# back ("never", stored as NaN, not -1).
printf '0.3s partition 0|1|2\n' >"$TMP/cut.faults"
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.kernel=raft -o cluster.replicas=3 \
	-o experiment.duration_s=1.5 -o faults.schedule="$TMP/cut.faults"
f=$(only_file)
u=$(csv_field "$f" unavail_ms)
ge "$u" 1000 || fail "majority lost for 1.4 s but unavail_ms is '$u'"
[ "$(csv_field "$f" recovery_ms)" = never ] || fail "recovery_ms is not 'never'"
expect_re '# fault .* recovery +never'
h5dump -d /faults "$f" | grep -A2 'DATA {' | grep -qi 'nan' || fail "never recovered is not NaN in /faults"
rm -f "$TMP"/*.h5

# 7. A one-shard outage: the only replica of shard 2 (on rank 2) crashes for
# good under an open loop, which keeps the other shards busy. The service as
# a whole stays available; shard 2 is unavailable for the rest of the run.
printf '0.3s crash rank:2\n' >"$TMP/one.faults"
run 3 run configs/ycsb-c.ini "${QUICK[@]}" -o experiment.duration_s=1.5 -o clients.timeout_ms=20 \
	-o clients.rate=600 -o faults.schedule="$TMP/one.faults"
line=$(grep '^# fault' "$TMP/out")
all=$(echo "$line" | sed -E 's/.*unavailable +([0-9.]+) s.*/\1/')
shard=$(echo "$line" | sed -E 's/.*worst shard ([0-9-]+): ([0-9.]+) s.*/\1 \2/')
ge 0.5 "$all" || fail "the service looked unavailable for $all s: $line"
[ "${shard% *}" = 2 ] && ge "${shard#* }" 1.0 || fail "shard 2's outage is not visible: $line"
rm -f "$TMP"/*.h5

# 8. p50_rtt is in round trips of the paths requests take: with one client
# rank (3) and a shard on each server rank, those are 3->0, 3->1, 3->2, not
# every pair; the file names them and p50_rtt = p50 / their median RTT.
# BL_CLOCK_SYNC=all makes every rank estimate its clock offset before and
# after the run although all share one clock (checked at the end).
export BL_CLOCK_SYNC=all
run 4 run configs/default.ini "${QUICK[@]}" -o cluster.client_ranks=1 -o experiment.history=true
unset BL_CLOCK_SYNC
expect_rc 0
f=$(only_file)
h5dump -a /baseline/path_pairs "$f" | grep -q '"3->0,3->1,3->2"' || fail "path_pairs is not 3->0,3->1,3->2"
# (h5dump prints 6 significant digits unless told otherwise: an RTT above
# 100 us would lose its fraction of a nanosecond.)
prtt=$(h5dump -m '%.17g' -a /baseline/path_rtt_ns "$f" | sed -n 's/.*(0): //p')
p50=$(csv_field "$f" p50_us)
ratio=$(csv_field "$f" p50_rtt)
awk -v a="$p50" -v r="$prtt" -v q="$ratio" 'BEGIN { d = a * 1000 / r - q; exit !(r > 0 && d < 1e-6 && d > -1e-6) }' ||
	fail "p50_rtt $ratio is not p50 $p50 us / path RTT $prtt ns"
# The baseline's tail comes from the samples, not from per-pair medians:
# its max is the slowest single round trip, above every pair's median.
battr() { h5dump -m '%.17g' -a "/baseline/$1" "$f" | sed -n 's/.*(0): //p'; }
maxmed=$(h5dump -m '%.17g' -y -w 0 -d /baseline/rtt_ns "$f" | sed -n '/DATA {/,/}/p' | grep -v 'DATA\|}' |
	tr ',' '\n' | awk '$1 + 0 > m { m = $1 + 0 } END { print m }')
awk -v x="$(battr rtt_max_ns)" -v m="$maxmed" 'BEGIN { exit !(x > m) }' ||
	fail "rtt_max_ns $(battr rtt_max_ns) is not above the largest pair median $maxmed"
ge "$(battr rtt_p99_ns)" "$(battr rtt_p90_ns)" || fail "rtt_p99_ns below rtt_p90_ns"
# Clock offsets: the description gives the sign the value has (rank 0's
# clock minus this rank's), and every rank records its error bound.
h5dump -d /topology/ranks "$f" >"$TMP/topo"
grep -q "clock_offset_ns: rank 0's clock minus this rank's" "$TMP/topo" || fail "offset sign text"
grep -q '"clock_error_ns"' "$TMP/topo" || fail "no clock_error_ns column"
# Forced on one node, the estimates before and after the run see the same
# clock: both offsets lie within the error bound of 0, the drift matches
# them, rank 0 has none, and the history of the client rank (3) is widened
# by its bound (every completed interval spans at least twice the bound),
# with the linearizability verdict still passing.
expect_rc 0
expect_re "verdict linearizable +pass"
/usr/bin/python3 - "$f" <<'PY' || fail "clock offsets, drift or widening wrong"
import sys, h5py
f = h5py.File(sys.argv[1], "r")
t = f["topology/ranks"][:]
for r in t:
    o, e, oe, d = int(r["clock_offset_ns"]), int(r["clock_error_ns"]), int(r["clock_offset_end_ns"]), float(r["clock_drift_ppm"])
    print("rank", r["rank"], "offset", o, "end", oe, "drift_ppm", d, "error", e)
    if r["rank"] == 0:
        assert o == 0 and oe == 0 and e == 0 and d == 0
        continue
    assert e > 0 and abs(o) <= e and abs(oe) <= e, "offsets not within the bound of 0"
    assert (d > 0) == (oe > o) and (d < 0) == (oe < o), "drift sign"
h = f["history"][:]
ok = h[(h["rank"] == 3) & (h["return_ns"] >= 0) & (h["invoke_ns"] > 0)]
e3 = int(t[t["rank"] == 3]["clock_error_ns"][0])
assert len(ok) > 0
span = (ok["return_ns"] - ok["invoke_ns"]).min()
print("client rank 3: error", e3, "shortest interval", span)
assert span >= 2 * e3, "history not widened by the clock error"
PY
rm -f "$TMP"/*.h5

# 9. report --metric averages only runs of identical configurations (seed
# and output aside): two seeds of one configuration share a row, a run with
# other client settings gets its own.
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.seed=1
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.seed=2
"$BALLOT" report --metric ops_per_s "$TMP" >"$TMP/pivot"
[ "$(grep -Ec '^  ycsb-a +3 +1 ' "$TMP/pivot")" -eq 1 ] || fail "two seeds of one configuration: not one row"
run 3 run configs/default.ini "${QUICK[@]}" -o clients.per_rank=2
"$BALLOT" report --metric ops_per_s "$TMP" >"$TMP/pivot"
[ "$(grep -Ec '^  ycsb-a +3 +1 ' "$TMP/pivot")" -eq 2 ] || fail "differing configurations were averaged"
echo ok
