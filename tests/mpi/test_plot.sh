# tools/ballot-plot end to end: two short runs (2 and 3 ranks) rendered into
# every picture, each a valid PNG of plausible size; a single run gives no
# scaling plot; a Raft run (when built in) gets leader markers; unreadable
# inputs are refused with their name and a non-zero exit, and damaged files
# give one error line each, never a traceback. A transaction run gets its
# blocking windows and in-doubt series drawn.
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
PLOT=(tools/ballot-plot)
if ! "$PY" -c 'import h5py, matplotlib' 2>"$TMP/py"; then
	fail "$PY cannot import h5py/matplotlib ($(tail -n 1 "$TMP/py")); install the Debian packages python3-h5py python3-matplotlib"
fi

# png_ok FILE: PNG signature, an IHDR at least 300x200, more than 5 KB.
png_ok() {
	[ -f "$1" ] || fail "missing picture $1"
	[ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$1 is not a PNG"
	local w h size
	w=$(od -An -tu1 -j16 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	h=$(od -An -tu1 -j20 -N4 "$1" | awk '{ print (($1 * 256 + $2) * 256 + $3) * 256 + $4 }')
	size=$(stat -c %s "$1")
	[ "$w" -ge 300 ] && [ "$h" -ge 200 ] || fail "$1 is ${w}x$h pixels"
	[ "$size" -gt 5000 ] && [ "$size" -lt 5000000 ] || fail "$1 has an implausible size ($size bytes)"
}

mkdir -p "$TMP/runs"
for np in 2 3; do
	run "$np" run configs/default.ini "${QUICK[@]}" -o experiment.output_dir="$TMP/runs" \
		-o experiment.name="plot$np" -o experiment.status_interval_s=0
	expect_rc 0
done
[ "$(find "$TMP/runs" -name '*.h5' | wc -l)" -eq 2 ] || fail "expected 2 result files in $TMP/runs"

# A directory and every picture.
"${PLOT[@]}" "$TMP/runs" -o "$TMP/png" >"$TMP/plot.out" 2>&1 || { cat "$TMP/plot.out"; fail "ballot-plot failed"; }
cat "$TMP/plot.out"
expected="percentiles.png cdf.png timeseries-none_ycsb-a_2r.png timeseries-none_ycsb-a_3r.png scaling.png"
for f in $expected; do
	png_ok "$TMP/png/$f"
	grep -qx "$TMP/png/$f" "$TMP/plot.out" || fail "ballot-plot did not list $f"
done
[ "$(find "$TMP/png" -name '*.png' | wc -l)" -eq 5 ] || fail "expected exactly 5 pictures: $(ls "$TMP/png")"

# Per-op pictures, another scaling metric; one file alone has no scaling plot.
one=$(find "$TMP/runs" -name 'plot2-*.h5')
"${PLOT[@]}" "$one" -o "$TMP/one" --ops all,read --metric p99_us >/dev/null || fail "ballot-plot on one file failed"
for f in percentiles.png cdf.png percentiles-read.png cdf-read.png timeseries-none_ycsb-a_2r.png; do
	png_ok "$TMP/one/$f"
done
[ ! -e "$TMP/one/scaling.png" ] || fail "a scaling plot from a single rank count"

# Leader changes marked on the time series, when Raft is built in.
if "$BALLOT" info 2>/dev/null | awk '/^# kernels/ { k = 1; next } /^#/ { k = 0 } k && $1 == "raft" { f = 1 } END { exit !f }'; then
	run 3 run configs/default.ini "${QUICK[@]}" -o experiment.output_dir="$TMP/raft" \
		-o experiment.kernel=raft -o cluster.replicas=3 -o cluster.shards=1 \
		-o experiment.status_interval_s=0
	expect_rc 0
	"${PLOT[@]}" -v "$TMP/raft" -o "$TMP/rpng" >/dev/null 2>"$TMP/v" || { cat "$TMP/v"; fail "ballot-plot on the Raft run failed"; }
	cat "$TMP/v"
	grep -q 'event markers: .*leader s0' "$TMP/v" || fail "no leader marker on the Raft time series"
	png_ok "$TMP/rpng/timeseries-raft_ycsb-a_3r.png"
fi

# Unreadable inputs: junk, a missing file, an HDF5 file that is not ours, a
# truncated result file; each is named, the exit is non-zero, nothing drawn.
echo "not a result file" >"$TMP/junk.h5"
"$PY" -c 'import h5py, sys; h5py.File(sys.argv[1], "w").attrs["x"] = 1' "$TMP/other.h5"
head -c 2000 "$one" >"$TMP/trunc.h5"
set +e
"${PLOT[@]}" "$TMP/junk.h5" "$one" -o "$TMP/bad" >"$TMP/bad.out" 2>&1
rc=$?
set -e
cat "$TMP/bad.out"
[ $rc -eq 1 ] || fail "ballot-plot with a junk input: exit $rc, expected 1"
grep -q "junk.h5: not an HDF5 file" "$TMP/bad.out" || fail "the error does not name junk.h5"
[ ! -e "$TMP/bad" ] || fail "pictures drawn despite the junk input"
set +e
"${PLOT[@]}" "$TMP/missing.h5" "$TMP/other.h5" "$TMP/trunc.h5" "$one" -o "$TMP/bad" >"$TMP/bad.out" 2>&1
rc=$?
set -e
cat "$TMP/bad.out"
[ $rc -eq 1 ] || fail "ballot-plot with unreadable inputs: exit $rc, expected 1"
grep -q "missing.h5: no such file" "$TMP/bad.out" || fail "the missing file is not named"
grep -q "other.h5: not a ballot result file" "$TMP/bad.out" || fail "the foreign HDF5 file is not named"
grep -q "trunc.h5: damaged HDF5 file" "$TMP/bad.out" || fail "the truncated file is not named"
[ ! -e "$TMP/bad" ] || fail "pictures drawn despite unreadable inputs"
# --keep-going draws the readable ones and still names the bad one.
"${PLOT[@]}" --keep-going "$TMP/junk.h5" "$one" -o "$TMP/kg" >"$TMP/kg.out" 2>&1 || fail "--keep-going failed"
grep -q "junk.h5: not an HDF5 file" "$TMP/kg.out" || fail "--keep-going did not name the junk file"
png_ok "$TMP/kg/percentiles.png"

# Damaged result files (a time series shorter than its axis, 2-D arrays, a
# huge attribute, a table that is not one): one error line per file, never
# a traceback, with or without --keep-going; the good file is still drawn.
mkdir "$TMP/dmg"
"$PY" - "$one" "$TMP/dmg" <<'P'
import shutil, sys
import h5py, numpy as np
src, out = sys.argv[1], sys.argv[2]
def damage(name, fn):
    shutil.copy(src, "%s/%s.h5" % (out, name))
    with h5py.File("%s/%s.h5" % (out, name), "r+") as f:
        fn(f)
def replace(f, path, data):
    del f[path]
    f[path] = data
damage("short", lambda f: replace(f, "timeseries/ops", f["timeseries/ops"][:3]))
damage("twod", lambda f: replace(f, "timeseries/p99_us", np.vstack([f["timeseries/p99_us"][:]] * 2)))
damage("twodhist", lambda f: replace(f, "latency/bucket_low_ns",
                                     np.vstack([f["latency/bucket_low_ns"][:]] * 2)))
damage("huge", lambda f: f.attrs.create("name", data="x" * (4 << 20)))
damage("arrayattr", lambda f: f.attrs.__setitem__("nranks", np.arange(5)))
damage("events2d", lambda f: replace(f, "events", np.vstack([f["events"][:]] * 2)))
P
bad=(short twod twodhist huge arrayattr events2d)
files=()
for b in "${bad[@]}"; do files+=("$TMP/dmg/$b.h5"); done
for kg in "" --keep-going; do
	set +e
	# shellcheck disable=SC2086
	"${PLOT[@]}" $kg "${files[@]}" "$one" -o "$TMP/dmgpng$kg" >"$TMP/dmg.out" 2>&1
	rc=$?
	set -e
	cat "$TMP/dmg.out"
	if grep -q Traceback "$TMP/dmg.out"; then fail "ballot-plot $kg: a traceback on a damaged file"; fi
	for b in "${bad[@]}"; do
		[ "$(grep -c "^ballot-plot: $TMP/dmg/$b.h5: " "$TMP/dmg.out")" -eq 1 ] ||
			fail "ballot-plot $kg: not one error line for $b.h5"
	done
	if [ -n "$kg" ]; then
		[ $rc -eq 0 ] || fail "--keep-going with damaged files: exit $rc"
		png_ok "$TMP/dmgpng$kg/percentiles.png"
	else
		[ $rc -eq 1 ] || fail "damaged files: exit $rc, expected 1"
	fi
done

# A transaction run (synthetic: /txn added to a copy of a run): a third panel
# with the in-doubt and blocked series, the long blocking windows shaded
# (overlapping ones merged, one still open at the end); damaged transaction
# data gives one error line per file, never a traceback.
mkdir "$TMP/txn"
"$PY" - "$one" "$TMP/txn" <<'P'
import shutil, sys
import h5py, numpy as np
src, out = sys.argv[1], sys.argv[2]
def make(name, fn=None):
    dst = "%s/%s.h5" % (out, name)
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        n = f["timeseries/t_s"].shape[0]
        t = f["timeseries/t_s"][:]
        g = f.create_group("txn")
        g.attrs["block_long_us"] = 1e5
        g.attrs["in_doubt_max"] = 7
        doubt = np.ones(n, dtype=np.uint64)
        doubt[n // 3: n // 2] = 7
        f["timeseries/in_doubt"] = doubt
        f["timeseries/blocked"] = (doubt - 1) * 2
        dt = np.dtype([("rank", "<i4"), ("shard", "<i4"), ("txn", "<u8"),
                       ("start_s", "<f8"), ("end_s", "<f8")])
        f["txn/blocking"] = np.array([(0, 1, 5, t[n // 3], t[n // 2]),
                                      (1, 0, 6, t[n // 3] + 0.01, t[n // 2] - 0.01),
                                      (1, 0, 9, t[-1] - 0.2, np.nan)], dtype=dt)
        if fn:
            fn(f)
def replace(f, path, data):
    del f[path]
    f[path] = data
make("good")
make("shortdoubt", lambda f: replace(f, "timeseries/in_doubt", f["timeseries/in_doubt"][:2]))
make("backwards", lambda f: replace(f, "txn/blocking", np.array(
    [(0, 0, 1, 0.5, 0.25)], dtype=f["txn/blocking"].dtype)))
make("nocols", lambda f: replace(f, "txn/blocking", np.array(
    [(0, 1.0)], dtype=[("rank", "<i4"), ("when", "<f8")])))
make("blocking2d", lambda f: replace(f, "txn/blocking", np.vstack([f["txn/blocking"][:]] * 2)))
P
"${PLOT[@]}" -v "$TMP/txn/good.h5" -o "$TMP/txnpng" >/dev/null 2>"$TMP/txn.v" || { cat "$TMP/txn.v"; fail "ballot-plot on the transaction run failed"; }
cat "$TMP/txn.v"
grep -q '3 blocking windows (2 spans shaded), most in doubt per interval 7' "$TMP/txn.v" ||
	fail "the transaction panel does not report its windows and in-doubt series"
png_ok "$TMP/txnpng/timeseries-none_ycsb-a_2r.png"
set +e
"${PLOT[@]}" --keep-going "$TMP"/txn/{shortdoubt,backwards,nocols,blocking2d}.h5 "$TMP/txn/good.h5" \
	-o "$TMP/txnbad" >"$TMP/txnbad.out" 2>&1
rc=$?
set -e
cat "$TMP/txnbad.out"
if grep -q Traceback "$TMP/txnbad.out"; then fail "a traceback on damaged transaction data"; fi
[ $rc -eq 0 ] || fail "--keep-going with damaged transaction data: exit $rc"
for b in shortdoubt backwards nocols blocking2d; do
	[ "$(grep -c "^ballot-plot: $TMP/txn/$b.h5: " "$TMP/txnbad.out")" -eq 1 ] ||
		fail "not one error line for $b.h5"
done
grep -q "shortdoubt.h5: /timeseries/in_doubt has 2 values" "$TMP/txnbad.out" || fail "the short in-doubt series is not named"
grep -q "backwards.h5: /txn/blocking has a window from 0.5 to 0.25 s" "$TMP/txnbad.out" || fail "the backwards window is not named"

# Usage errors exit 2; a python3 without the modules says what to install.
set +e
"${PLOT[@]}" >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 2 ] || fail "no arguments: exit $rc, expected 2"
for py in $(type -ap python3); do
	if [ "$py" != "$PY" ] && ! "$py" -c 'import h5py, matplotlib' 2>/dev/null; then
		set +e
		"$py" tools/ballot-plot "$one" -o "$TMP/nomod" >"$TMP/nomod.out" 2>&1
		rc=$?
		set -e
		[ $rc -eq 2 ] || fail "$py without h5py: exit $rc, expected 2"
		grep -q "python3-h5py python3-matplotlib" "$TMP/nomod.out" || fail "no install hint for $py"
		break
	fi
done
echo ok
