# Multi-Paxos end to end on 3 ranks (3 shards x 3 replicas, every rank hosting
# a replica of every shard), with the history recorded, under the fault
# schedules of the Raft test: the leader of shard 0 crashes and recovers; rank
# 0 (which leads some shards) is partitioned from the majority and healed; 5%
# of messages are dropped. The faults are those of configs/faults/ (their
# parsing is tested in tests/unit/test_faults.c) compressed as in
# test_raft.sh: each ends 1.4 s before the run, ample for an election (150 ms
# timeout) and for a second of throughput. Each run lasts past the end of its fault, must show
# that throughput came back (recovery_ms a number >= 0, not "never") and pass
# every verdict: replica digests, the counter and linearizability. With
# storage.mode = fsync, a majority crashes and recovers from its logs. Then 5
# replicas with quorum reads, 5 replicas with FPaxos (Q2 = 2) under a leader
# crash, and 9 replicas.
# run-tests: alone (throughput must come back within 10% of its level before
# each fault, which the pace of another MPI job beside it can prevent)
. "$(dirname "$0")/lib.sh"
PAXOS=(-o experiment.kernel=paxos -o cluster.replicas=3 -o experiment.history=1
	-o clients.timeout_ms=50 -o experiment.duration_s=2.4 -o experiment.warmup_s=0.2
	-o baseline.iterations=20 -o experiment.output_dir="$TMP")
# Times count from the start of the warm-up; the run ends at 2.6 s.
printf '0.6s crash leader:0\n1.2s recover leader:0\n' >"$TMP/leader-crash.faults"
printf '0.6s partition 0 for 0.6s\n' >"$TMP/partition-leader.faults"
printf '0.3s drop 0.05 all for 0.9s\n' >"$TMP/drop-5pct.faults"
printf '0.6s crash rank:1\n0.6s crash rank:2\n1.2s recover rank:1\n1.2s recover rank:2\n' \
	>"$TMP/majority-crash.faults"

verdicts() {
	grep -q '# verdict digests .*pass' "$TMP/out" || fail "$1: digests"
	grep -q '# verdict linearizable .*\(pass\|inconclusive\)' "$TMP/out" || fail "$1: linearizability"
	grep -q '# verdict overall .*\(pass\|inconclusive\)' "$TMP/out" || fail "$1: overall verdict"
}

recovered() {
	local r
	r=$(csv_field "$2" recovery_ms)
	[[ $r =~ ^[0-9.]+$ ]] || fail "$1: throughput never recovered (recovery_ms '$r')"
}

for sched in leader-crash partition-leader drop-5pct; do
	run 3 run configs/counter.ini "${PAXOS[@]}" -o faults.schedule="$TMP/$sched.faults"
	expect_rc_pass_or_inconclusive
	verdicts "$sched"
	grep -q '# verdict counter .*pass' "$TMP/out" || fail "$sched: counter"
	f=$(only_file)
	recovered "$sched" "$f"
	h5dump -d /events "$f" >"$TMP/ev"
	grep -q 'leader' "$TMP/ev" || fail "$sched: no leader events"
	mv "$f" "$TMP/$sched.h5.done"
done
# After the leader crash another member leads: more leader events (phase 1
# completed) than shards, and one with a ballot above the first ones.
h5dump -d /events "$TMP/leader-crash.h5.done" >"$TMP/ev"
n=$(grep -c '^ *leader,$' "$TMP/ev" || true)
[ "$n" -gt 3 ] || fail "no new leader after the crash ($n leader events for 3 shards)"
# fsync mode: two of three ranks crash together (no quorum for 1 s) and
# come back from their write-ahead logs; nothing acknowledged may be lost.
run 3 run configs/counter.ini "${PAXOS[@]}" -o storage.mode=fsync \
	-o faults.schedule="$TMP/majority-crash.faults"
expect_rc_pass_or_inconclusive
verdicts "fsync, majority crash"
grep -q '# verdict counter .*pass' "$TMP/out" || fail "fsync, majority crash: counter"
recovered "fsync, majority crash" "$(only_file)"
rm -f "$TMP"/*.h5
# YCSB-A with 5 replicas on 5 ranks, reads confirmed by a quorum.
run 5 run configs/ycsb-a.ini "${PAXOS[@]}" -o cluster.replicas=5 -o cluster.shards=2 \
	-o paxos.read_mode=quorum -o experiment.duration_s=1
expect_rc 0
verdicts "5 replicas, quorum reads"
rm -f "$TMP"/*.h5
# FPaxos: 5 replicas, phase 2 quorum of 2 (phase 1 needs 4), leader crash.
run 5 run configs/counter.ini "${PAXOS[@]}" -o cluster.replicas=5 -o cluster.shards=1 \
	-o paxos.phase2_quorum=2 -o faults.schedule="$TMP/leader-crash.faults"
expect_rc_pass_or_inconclusive
verdicts "FPaxos Q2=2"
grep -q '# verdict counter .*pass' "$TMP/out" || fail "FPaxos: counter"
recovered "FPaxos Q2=2" "$(only_file)"
rm -f "$TMP"/*.h5
# A phase 2 quorum above the replicas is refused before anything runs.
run 3 run configs/counter.ini "${PAXOS[@]}" -o paxos.phase2_quorum=4
expect_rc 2
expect_out 'phase2_quorum'
# Nine replicas per group on nine ranks (oversubscribed: the idle policy yields).
run 9 run configs/counter.ini "${PAXOS[@]}" -o cluster.replicas=9 -o cluster.shards=2 \
	-o experiment.duration_s=1
expect_rc_pass_or_inconclusive
verdicts "9 replicas"
echo ok
