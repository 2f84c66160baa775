"""Assertions on a Raft result file after a fault: that the system came back.

usage: raft_faults_check.py FILE KIND    (KIND: crash or partition)

crash:     the crashed rank recovered, and every replica of every shard ends
           with the same applied count and digest (the recovered replicas
           caught up with the rest);
partition: the partition healed within the run, after which every shard has
           a leader that did not step down, operations completed, and every
           replica of every shard ends with the same applied count and digest.
Both: the fault's unavailability and recovery time are finite.
Exit status 0, or 1 with one line per failed assertion.
"""
import math
import sys

import h5py


def main(path, kind):
    errors = []
    f = h5py.File(path, "r")
    names = [a.split(":")[0] for a in f["events"].attrs["type_args"]]
    ev = sorted(f["events"][:], key=lambda e: e["t_ns"])
    typ = {n: i for i, n in enumerate(names)}

    def events(name):
        return [e for e in ev if e["type"] == typ[name]]

    end_ns = max(e["t_ns"] for e in events("phase") if e["a"] == 2)
    measure_ns = min(e["t_ns"] for e in events("phase") if e["a"] == 1)
    if kind == "crash":
        if not events("crash"):
            errors.append("no crash event")
        if not events("recover"):
            errors.append("the crashed rank never recovered within the run")
        back_ns = min((e["t_ns"] for e in events("recover")), default=end_ns)
    else:
        heals = [e for e in events("heal") if e["t_ns"] < end_ns]
        if not heals:
            errors.append("the partition did not heal within the run")
        back_ns = heals[0]["t_ns"] if heals else end_ns
        # Every shard has a leader after the heal: the leader of the highest
        # term did not step down afterwards.
        shards = sorted({int(r["shard"]) for r in f["replicas"][:]})
        for s in shards:
            lead = [e for e in events("leader") if e["b"] == s]
            if not lead:
                errors.append("shard %d: never had a leader" % s)
                continue
            last = max(lead, key=lambda e: (e["a"], e["t_ns"]))
            down = [e for e in events("step_down")
                    if e["b"] == s and e["rank"] == last["rank"] and e["a"] >= last["a"]
                    and e["t_ns"] >= last["t_ns"]]
            if down:
                errors.append("shard %d: no leader after the heal (rank %d stepped down "
                              "in term %d)" % (s, last["rank"], last["a"]))
        # Operations completed after the heal.
        t = f["timeseries/t_s"][:]
        ok = f["timeseries/ok" if "timeseries/ok" in f else "timeseries/ops"][:]
        after = [o for ts, o in zip(t, ok) if measure_ns + ts * 1e9 > back_ns + 0.3e9]
        if not after or sum(after) == 0:
            errors.append("no operation completed after the heal")
    # Every replica of a shard caught up: same applied count and digest.
    by_shard = {}
    for r in f["replicas"][:]:
        by_shard.setdefault(int(r["shard"]), []).append(r)
    for s, reps in sorted(by_shard.items()):
        got = {(int(r["applied"]), int(r["digest"])) for r in reps}
        if len(got) != 1:
            errors.append("shard %d: replicas did not converge: %s" % (
                s, ", ".join("rank %d applied %d digest %x" % (r["rank"], r["applied"], r["digest"])
                             for r in reps)))
        elif min(int(r["applied"]) for r in reps) == 0:
            errors.append("shard %d: nothing applied" % s)
    # The fault cost a finite time.
    rows = [r for r in f["faults"][:] if kind.encode() in bytes(r["description"])]
    if not rows:
        errors.append("no /faults row for the %s" % kind)
    for r in rows:
        u, rec = float(r["unavailable_s"]), float(r["recovery_s"])
        if not (math.isfinite(u) and u >= 0):
            errors.append("%s: unavailable_s %r" % (r["description"], u))
        if not (math.isfinite(rec) and rec >= 0):
            errors.append("%s: recovery_s %r (never recovered)" % (r["description"], rec))
    for e in errors:
        print("FAIL: %s: %s" % (kind, e))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
