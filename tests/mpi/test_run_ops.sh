# Run by operation count on 2 ranks with a dedicated client rank and no
# warm-up: exactly that many operations are measured, and every write and
# read of the YCSB-F mix completes.
. "$(dirname "$0")/lib.sh"
run 2 run configs/ycsb-f.ini "${QUICK[@]}" -o experiment.ops=3000 -o experiment.warmup_s=0 \
	-o cluster.client_ranks=1 -o cluster.shards=2
expect_rc 0
grep -Eq '^  all +3000 ' "$TMP/out" || fail "expected 3000 measured operations"
grep -Eq '^  rmw ' "$TMP/out" || fail "no read-modify-write row"
echo ok
