# Where the result goes is checked before anything runs: a bad --out or
# output_dir exits 2 at once (no baseline, no workload, no file), an
# option's value is never taken from the next option, a second run with the
# same --out is refused unless --force, and a missing output_dir is created
# when its parent exists.
. "$(dirname "$0")/lib.sh"
Q=(-o experiment.duration_s=1 -o experiment.warmup_s=0.2 -o baseline.iterations=20
	-o experiment.status_interval_s=0)

# refused ARGS... MESSAGE: exit 2 with MESSAGE, before the run started
# (one rank, started as an MPI singleton: quicker than mpirun).
refused() {
	local msg=${*: -1}
	set +e
	"$BALLOT" run configs/default.ini "${Q[@]}" "${@:1:$#-1}" >"$TMP/out" 2>&1
	RC=$?
	set -e
	cat "$TMP/out"
	expect_rc 2
	expect_out "$msg"
	if grep -q '^# measured\|baseline' "$TMP/out"; then fail "ran before refusing: $*"; fi
}
refused --out /nonexistent/dir/x.h5 "directory /nonexistent/dir: No such file"
refused --out "$TMP" "is a directory; give a file name"
refused --out "$TMP/" "is a directory; give a file name"
refused --out "" "empty file name"
refused -o experiment.output_dir=/nonexistent/d "does not exist, and neither does its parent"
touch "$TMP/plain"
refused -o experiment.output_dir="$TMP/plain" "is not a directory"
mkfifo "$TMP/fifo.h5"
refused --out "$TMP/fifo.h5" "not a regular file"
# The next option is not a value.
refused --out --quiet "--out needs a value"
refused -o --quiet "-o needs a value"
refused --out "needs a value"
[ ! -e ./--quiet ] || fail "a file named --quiet was written"

# output_dir is created when its parent exists; the run writes into it.
run 1 run configs/default.ini "${Q[@]}" -o experiment.output_dir="$TMP/new"
expect_rc 0
ls "$TMP"/new/default-*.h5 >/dev/null || fail "no result in the created output_dir"

# --out=FILE; a second run over it is refused and leaves the first intact.
run 1 run configs/default.ini "${Q[@]}" --out="$TMP/r.h5" -o experiment.name=first
expect_rc 0
sum=$(md5sum <"$TMP/r.h5")
refused --out "$TMP/r.h5" -o experiment.name=second "exists (an earlier result?)"
[ "$(md5sum <"$TMP/r.h5")" = "$sum" ] || fail "the refused run changed the first result"
run 1 run configs/default.ini "${Q[@]}" --out "$TMP/r.h5" --force -o experiment.name=second
expect_rc 0
[ "$(csv_field "$TMP/r.h5" name)" = second ] || fail "--force did not replace the result"

# The README's CSV header is the one `report --csv` prints.
want=$(sed -n '/CSV whose header scripts can rely on:/,/^    name,/p' README.md | tail -n 1 | sed 's/^ *//')
got=$("$BALLOT" report --csv "$TMP/r.h5" | head -n 1)
[ "$want" = "$got" ] || fail "README's CSV header '$want' is not report --csv's '$got'"

# `ballot info` takes several files (a shell pattern) and names a bad one.
set +e
"$BALLOT" info "$TMP"/new/default-*.h5 "$TMP/r.h5" "$TMP/missing.h5" >"$TMP/info" 2>&1
rc=$?
set -e
[ $rc -eq 1 ] || fail "info with a missing file: exit $rc, expected 1"
grep -q "^# ballot result file $TMP/new/default-.*\.h5" "$TMP/info" || fail "info skipped the first file"
grep -q "^# ballot result file $TMP/r.h5" "$TMP/info" || fail "info skipped the second file"
grep -q "^ballot info: $TMP/missing.h5" "$TMP/info" || fail "info did not name the missing file"
echo ok
