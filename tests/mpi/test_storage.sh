# Durable Raft end to end: storage.mode = fsync, 3 replicas of one shard on
# ranks 0-2 and the clients on rank 3, the history recorded. Each run must
# pass every verdict and must be seen to recover:
#  - the leader crashes and comes back;
#  - a majority (ranks 0 and 1) crashes and comes back: with no majority
#    alive nothing but their write-ahead logs holds the committed entries;
#  - the rank that leads at start-up is partitioned away and healed;
#  - rank 1 crashes, the tail of its log is torn (corrupt-wal tail), and it
#    recovers to its last valid record (event wal_torn) and catches up;
#  - rank 1's log is corrupted in the middle (corrupt-wal middle): it refuses
#    to come back (event wal_corrupt), and the run fails its storage verdict.
# Also: the run's folder under storage.dir is removed at the end, and kept
# with storage.keep = true.
# run-tests: alone (fdatasync latency and the short settle after the drain,
# in which followers learn the last commit, suffer from other MPI jobs)
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
"$PY" -c 'import h5py' 2>/dev/null || fail "$PY cannot import h5py (install python3-h5py)"
mkdir -p "$TMP/disk"
DUR=(-o experiment.kernel=raft -o experiment.history=1 -o cluster.shards=1
	-o cluster.replicas=3 -o cluster.client_ranks=1 -o clients.per_rank=4
	-o clients.timeout_ms=100 -o experiment.duration_s=3 -o experiment.warmup_s=0.2
	-o baseline.iterations=20 -o experiment.output_dir="$TMP"
	-o storage.mode=fsync -o storage.dir="$TMP/disk")

# check.py FILE [event...] [!event...]: the listed events happened (or not);
# every replica applied the same number of commands (the recovered ones
# caught up); the write-ahead logs were synced.
cat >"$TMP/check.py" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
names = [s.decode() if isinstance(s, bytes) else s for s in f["/events"].attrs["type_args"]]
names = [n.split(":")[0] for n in names]
seen = {}
for e in f["/events"][:]:
    seen.setdefault(names[e["type"]], []).append((int(e["rank"]), int(e["a"]), int(e["b"])))
for want in sys.argv[2:]:
    if want.startswith("!"):
        if want[1:] in seen:
            sys.exit("unexpected event %s: %s" % (want[1:], seen[want[1:]]))
    elif want not in seen:
        sys.exit("no %s event (events: %s)" % (want, sorted(seen)))
reps = f["/replicas"][:]
applied = sorted(set(int(r["applied"]) for r in reps))
if "wal_corrupt" not in sys.argv[2:] and len(applied) != 1:
    sys.exit("replicas did not catch up: applied %s" % [(int(r["rank"]), int(r["applied"])) for r in reps])
if max(applied) < 100:
    sys.exit("too little was committed to judge: applied %s" % applied)
s = f["/summary"].attrs
if not s["syncs_per_op"] > 0 or not s["disk_bytes_per_op"] > 0:
    sys.exit("the logs were not synced: syncs/op %s, disk bytes/op %s" % (s["syncs_per_op"], s["disk_bytes_per_op"]))
b = f["/baseline"].attrs
if not b["fsync_p50_us"] > 0 or not b["fsync_p99_us"] >= b["fsync_p50_us"]:
    sys.exit("no storage baseline: %s" % dict(b))
print("applied", applied, "events", sorted(seen))
PYEOF

schedule() {
	printf '%s\n' "$@" >"$TMP/sched.faults"
}

# run_ok NAME STORAGE EVENTS...: run the counter workload under
# $TMP/sched.faults, expect every verdict to pass (the storage verdict to say
# STORAGE: "unknown" when no rank recovered from its log) and check.py to agree.
run_ok() {
	local name=$1 storage=$2
	shift 2
	run 4 run configs/counter.ini "${DUR[@]}" -o faults.schedule="$TMP/sched.faults"
	expect_rc_pass_or_inconclusive
	for v in digests counter; do
		grep -q "# verdict $v .*pass" "$TMP/out" || fail "$name: verdict $v"
	done
	grep -q "# verdict storage  *$storage " "$TMP/out" || fail "$name: storage verdict not $storage"
	f=$(only_file)
	"$PY" "$TMP/check.py" "$f" "$@" || fail "$name: $(tail -n 1 "$TMP/out")"
	[ "$(csv_field "$f" recovery_ms)" != "-1" ] || fail "$name: throughput never recovered"
	mv "$f" "$TMP/$name.h5.done"
}

schedule "1s crash leader:0" "2s recover leader:0"
run_ok leader-crash pass crash recover '!wal_corrupt'

schedule "1s crash rank:0" "1s crash rank:1" "1.8s recover rank:0" "1.8s recover rank:1"
run_ok majority-crash pass crash recover '!wal_corrupt'

schedule "1s partition 0 for 1s"
run_ok partition unknown partition heal

schedule "1s crash rank:1" "1.2s corrupt-wal rank:1 tail" "1.5s recover rank:1"
run_ok corrupt-tail pass crash wal_damage wal_torn recover '!wal_corrupt'
grep -q "rank 1: storage: torn tail" "$TMP/out" || fail "corrupt-tail: no message about the torn tail"

# The folders of those runs are gone.
[ -z "$(ls -A "$TMP/disk")" ] || fail "storage folders left behind: $(ls -A "$TMP/disk")"

# A corrupt middle: rank 1 stays down, the run says why and fails.
schedule "1s crash rank:1" "1.2s corrupt-wal rank:1 middle" "1.5s recover rank:1"
run 4 run configs/counter.ini "${DUR[@]}" -o faults.schedule="$TMP/sched.faults" -o storage.keep=true
expect_rc 3
grep -qi "# verdict storage .*fail .*rank 1 refused recovery: .*rank-1/.*\.wal: offset [0-9]*: bad CRC" "$TMP/out" ||
	fail "corrupt-middle: no failed storage verdict naming the file and offset"
grep -q "# verdict linearizable .*\(pass\|inconclusive\)" "$TMP/out" || fail "corrupt-middle: the others must stay correct"
f=$(only_file)
"$PY" "$TMP/check.py" "$f" crash wal_damage wal_corrupt '!wal_torn' || fail "corrupt-middle: events"
# storage.keep: the run's folder stays, with every rank's segments.
run_dir=$(ls -d "$TMP"/disk/ballot-counter-*)
for r in 0 1 2; do
	ls "$run_dir/rank-$r/"*.wal >/dev/null 2>&1 || fail "storage.keep: no segment for rank $r"
done
echo ok
