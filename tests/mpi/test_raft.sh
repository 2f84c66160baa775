# Raft end to end on 3 ranks (3 shards x 3 replicas: a group per shard, every
# rank hosting a replica of every shard), with the history recorded, under
# three fault schedules: the leader of shard 0 crashes and recovers; rank 0
# (which leads some shards) is cut off from the majority and the partition
# heals; 5% of messages are dropped while a leadership transfer is asked.
# The faults end early enough for the system to come back within the run,
# and the test checks that it did
# (raft_faults_check.py): the recovered replicas caught up (every replica of
# a shard ends with the same applied count and digest), every shard has a
# leader after the heal and serves operations again, and each fault's
# unavailability and recovery are finite. Every run passes every verdict:
# replica digests, the counter and linearizability.
# run-tests: alone (throughput must come back within 10% of its level before
# each fault, which the pace of another MPI job beside it can prevent)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
RAFT=(-o experiment.kernel=raft -o cluster.replicas=3 -o experiment.history=1
	-o clients.timeout_ms=50 -o experiment.duration_s=2.4 -o experiment.warmup_s=0.2
	-o baseline.iterations=20 -o experiment.output_dir="$TMP" -o experiment.status_interval_s=0)
# Times count from the start of the warm-up; the run ends at 2.6 s.
printf '0.6s crash leader:0\n1.2s recover leader:0\n' >"$TMP/crash.faults"
printf '0.6s partition 0 for 0.6s\n' >"$TMP/partition.faults"
printf '0.3s drop 5%%\n1s transfer shard:0\n' >"$TMP/drop.faults"
for sched in crash partition drop; do
	run 3 run configs/counter.ini "${RAFT[@]}" -o faults.schedule="$TMP/$sched.faults"
	expect_rc_pass_or_inconclusive
	grep -q '# verdict digests .*pass' "$TMP/out" || fail "$sched: digests"
	grep -q '# verdict counter .*pass' "$TMP/out" || fail "$sched: counter"
	if grep -q 'not applied' "$TMP/out"; then fail "$sched: a fault was not applied"; fi
	f=$(only_file)
	h5dump -d /events "$f" >"$TMP/ev"
	grep -q 'leader' "$TMP/ev" || fail "$sched: no leader events"
	# Every fault gets a row, a leadership transfer too.
	[ "$sched" != drop ] || grep -q '# fault .*rank .*1s transfer shard:0' "$TMP/out" || fail "no row for the transfer"
	if [ "$sched" != drop ]; then
		"$PY" tests/mpi/raft_faults_check.py "$f" "$sched" || fail "$sched: the system did not come back"
	fi
	mv "$f" "$TMP/$sched.h5.done"
done
# After the leader crash a new leader is elected in a later term: some
# leader event (a = term) carries a term above the first one.
h5dump -d /events "$TMP/crash.h5.done" >"$TMP/ev"
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
