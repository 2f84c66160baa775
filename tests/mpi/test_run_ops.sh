# Run by operation count on 2 ranks with a dedicated client rank and no
# warm-up: exactly that many operations are measured, and every write and
# read of the YCSB-F mix completes.
. "$(dirname "$0")/lib.sh"
run 2 run configs/ycsb-f.ini "${QUICK[@]}" -o experiment.ops=3000 -o experiment.warmup_s=0 \
	-o cluster.client_ranks=1 -o cluster.shards=2
expect_rc 0
grep -Eq '^  all +3000 ' "$TMP/out" || fail "expected 3000 measured operations"
grep -Eq '^  rmw ' "$TMP/out" || fail "no read-modify-write row"

# Open loop: Poisson arrivals at 2000 ops/s in total for 1 s. Latency counts
# from the intended arrival time; completions cannot outnumber arrivals
# (about 2000, a Poisson count: +-3 sigma is +-135).
rm -f "$TMP"/*.h5
run 2 run configs/ycsb-c.ini "${QUICK[@]}" -o clients.rate=2000 -o experiment.warmup_s=0.5
expect_rc 0
n=$(awk '$1 == "all" { print $2 }' "$TMP/out")
[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -le 2300 ] || fail "open loop completed '$n' ops for ~2000 arrivals"
echo ok
