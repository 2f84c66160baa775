# `ballot sim` with a commit kernel: transactions through 2PC in the simulator (no MPI).
. "$(dirname "$0")/lib.sh"

# sim ARGS... : run ballot sim; output in $TMP/out, status in $RC.
sim() {
	set +e
	"$BALLOT" sim - "$@" >"$TMP/out" 2>&1
	RC=$?
	set -e
}

# committed: the committed count of the summary's transaction line.
committed() {
	sed -n 's/^# transactions: \([0-9]*\) committed.*/\1/p' "$TMP/out"
}

sim -o experiment.kernel=2pc/raft -o workload.type=list-append -o cluster.shards=2 \
	-o cluster.replicas=3 -o txn.cc=wait-die --seeds 15
[ "$RC" -eq 0 ] || { cat "$TMP/out"; fail "2pc/raft list-append: exit $RC"; }
grep -q '^# ballot sim: kernel=2pc/raft ' "$TMP/out" || fail "header does not name 2pc/raft"
grep -q '^# transactions: workload=list-append .*cc=wait-die' "$TMP/out" ||
	fail "no transaction header: $(cat "$TMP/out")"
[ "$(committed)" -gt 100 ] || fail "2pc/raft: too few commits: $(cat "$TMP/out")"

sim -o experiment.kernel=2pc/paxos -o workload.type=bank -o store.records=12 \
	-o cluster.shards=3 -o cluster.replicas=3 --seeds 10
[ "$RC" -eq 0 ] || { cat "$TMP/out"; fail "2pc/paxos bank: exit $RC"; }
[ "$(committed)" -gt 50 ] || fail "2pc/paxos: too few commits: $(cat "$TMP/out")"

# 2pc/none: a node without a shard (a coordinator) is added, and crashes hit
# any node: a crashed participant's shard comes back from its log with its
# PREPAREs, a crashed coordinator leaves some outcomes unknown.
sim -o experiment.kernel=2pc/none -o workload.type=ycsb-t -o store.records=20 \
	-o cluster.shards=2 --seeds 10
[ "$RC" -eq 0 ] || { cat "$TMP/out"; fail "2pc/none ycsb-t: exit $RC"; }
grep -q 'nodes=3 shards=2 .*faults=+crash+partition+link' "$TMP/out" ||
	fail "2pc/none: not 3 nodes with crashes: $(head -1 "$TMP/out")"
[ "$(committed)" -gt 50 ] || fail "2pc/none: too few commits: $(cat "$TMP/out")"
unknown=$(sed -n 's/^# transactions: .* \([0-9]*\) unknown$/\1/p' "$TMP/out")
[ "${unknown:-0}" -gt 0 ] || fail "2pc/none: no coordinator crash cost an outcome: $(cat "$TMP/out")"

# One seed replays with its schedule.
sim -o experiment.kernel=2pc/raft -o workload.type=bank -o store.records=8 -o cluster.shards=2 \
	-o cluster.replicas=3 --seed 5
[ "$RC" -eq 0 ] || fail "replay of seed 5: exit $RC"
grep -q '^ok: seed=5 ' "$TMP/out" || fail "replay prints no seed line: $(cat "$TMP/out")"
grep -q 'schedule: ' "$TMP/out" || fail "replay prints no schedule"
echo "ok"
