# ballot run --from FILE.h5 refuses what the stored options cannot say
# exactly, instead of guessing:
#  - a relative faults.schedule (relative to the original config's folder,
#    which is not stored): a schedule of the same name in the current
#    directory must not be run silently as if it were the original's; with
#    -o faults.schedule=PATH the rerun goes ahead and runs that schedule;
#  - an option stored twice in /config/options.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
mkdir -p "$TMP/cfg/faults" "$TMP/elsewhere/faults"
printf '0.2s crash rank:1\n0.4s recover rank:1\n' >"$TMP/cfg/faults/f.faults"
printf '0.2s pause rank:0 300ms\n' >"$TMP/elsewhere/faults/f.faults"
printf '[experiment]\nkernel = none\nduration_s = 0.6\nwarmup_s = 0.1\nstatus_interval_s = 0\n[cluster]\nshards = 2\nreplicas = 1\n[baseline]\niterations = 10\n[faults]\nschedule = faults/f.faults\n' >"$TMP/cfg/x.ini"
run 2 run "$TMP/cfg/x.ini" --out "$TMP/a.h5" --quiet
[ -f "$TMP/a.h5" ] || fail "no original result"
grep -q 'crash' <("$BALLOT" info "$TMP/a.h5") || fail "original did not run its crash"

# From another folder holding a schedule of the same relative name.
cd "$TMP/elsewhere"
set +e
"$BALLOT" run --from "$TMP/a.h5" --out "$TMP/b.h5" >"$TMP/out" 2>&1
RC=$?
set -e
cat "$TMP/out"
expect_rc 2
expect_out 'faults.schedule = faults/f.faults is relative'
[ ! -e "$TMP/b.h5" ] || fail "a refused rerun wrote a file"

# Naming the schedule explicitly runs it.
cd "$ROOT"
run 2 run --from "$TMP/a.h5" -o faults.schedule="$TMP/cfg/faults/f.faults" --out "$TMP/c.h5" --quiet
[ -f "$TMP/c.h5" ] || fail "rerun with -o faults.schedule wrote no file"
grep -q 'crash' <("$BALLOT" info "$TMP/c.h5") || fail "rerun did not run the named schedule"

# An option stored twice.
"$PY" - "$TMP/a.h5" "$TMP/dup.h5" <<'PYEOF'
import sys, shutil, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    o = f["config/options"][:]
    seed = o[(o["section"] == b"experiment") & (o["key"] == b"seed")].copy()
    seed["value"] = b"7"
    both = np.concatenate([o, seed])
    del f["config/options"]
    f["config/options"] = both
PYEOF
set +e
"$BALLOT" run --from "$TMP/dup.h5" -o faults.schedule= --out "$TMP/d.h5" >"$TMP/out" 2>&1
RC=$?
set -e
cat "$TMP/out"
expect_rc 2
expect_out 'stores experiment.seed twice'
echo ok
