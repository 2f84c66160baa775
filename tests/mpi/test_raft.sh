# Raft end to end on 3 ranks (3 shards x 3 replicas, a group per shard, every
# rank hosting a replica of every shard), with the history recorded, under
# the three fault schedules the issue names: the leader of shard 0 crashes
# and recovers; the rank leading shard 0 is partitioned from the majority and
# healed; 5% of messages are dropped. Every run must elect new leaders where
# needed, finish, and pass every verdict: replica digests, the counter and
# linearizability.
. "$(dirname "$0")/lib.sh"
RAFT=(-o experiment.kernel=raft -o cluster.replicas=3 -o experiment.history=1
	-o clients.timeout_ms=50 -o experiment.duration_s=3 -o experiment.warmup_s=0.2
	-o baseline.iterations=20 -o experiment.output_dir="$TMP")
for sched in leader-crash partition-leader drop-5pct; do
	run 3 run configs/counter.ini "${RAFT[@]}" -o faults.schedule="faults/$sched.faults"
	expect_rc 0
	grep -q '# verdict digests .*pass' "$TMP/out" || fail "$sched: digests"
	grep -q '# verdict counter .*pass' "$TMP/out" || fail "$sched: counter"
	grep -q '# verdict linearizable .*pass' "$TMP/out" || fail "$sched: linearizability"
	f=$(only_file)
	h5dump -d /events "$f" >"$TMP/ev"
	grep -q 'leader' "$TMP/ev" || fail "$sched: no leader events"
	mv "$f" "$TMP/$sched.h5.done"
done
# After the leader crash a new leader is elected in a later term: some
# leader event (a = term) carries a term above the first one.
h5dump -d /events "$TMP/leader-crash.h5.done" >"$TMP/ev"
term=$(awk '/^ *leader,$/ { getline; gsub(/[ ,]/, ""); if ($0 + 0 > m) m = $0 + 0 } END { print m + 0 }' "$TMP/ev")
[ "$term" -ge 2 ] || fail "no leader elected in a later term after the crash (highest term $term)"
# YCSB-A with 5 replicas on 5 ranks, reads through ReadIndex.
run 5 run configs/ycsb-a.ini "${RAFT[@]}" -o cluster.replicas=5 -o cluster.shards=2 \
	-o raft.read_mode=index -o experiment.duration_s=1
expect_rc 0
grep -q '# verdict linearizable .*pass' "$TMP/out" || fail "5 replicas, ReadIndex: linearizability"
# Nine replicas per group on nine ranks (oversubscribed: the idle policy yields).
run 9 run configs/counter.ini "${RAFT[@]}" -o cluster.replicas=9 -o cluster.shards=2 \
	-o experiment.duration_s=1
expect_rc 0
grep -q '# verdict digests .*pass' "$TMP/out" || fail "9 replicas: digests"
grep -q '# verdict linearizable .*pass' "$TMP/out" || fail "9 replicas: linearizability"
echo ok
