# The command line: help, version, info, usage errors, report errors.
. "$(dirname "$0")/lib.sh"
"$BALLOT" --help | grep -q 'ballot run' || fail "--help"
"$BALLOT" --version | grep -q '^ballot [0-9]' || fail "--version"
"$BALLOT" info >"$TMP/info" || fail "info"
grep -q '^  none ' "$TMP/info" || fail "info lists no none kernel"
for key in cluster.shards cluster.replicas workload.type clients.outstanding experiment.seed; do
	grep -q "$key" "$TMP/info" || fail "info lacks option $key"
done
# Only registered kernels are advertised (info, default.ini): every name in
# the kernel option's allowed list, and 2pc anywhere, is a listed kernel.
kernels=" $(awk '/^# kernels/ { k = 1; next } /^$/ { k = 0 } k { printf "%s ", $1 }' "$TMP/info")none "
allowed=$(sed -n 's/^experiment\.kernel .*REPL: \([^;]*\);.*/\1/p' "$TMP/info" | tr -d ,)
[ -n "$allowed" ] || fail "info gives no allowed kernels"
for k in $allowed; do
	case "$kernels" in *" $k "*) ;; *) fail "info allows kernel $k, which is not listed" ;; esac
done
case "$kernels" in
*" 2pc "*) ;;
*) if grep -q '2pc' "$TMP/info" configs/default.ini; then fail "2pc advertised but not registered"; fi ;;
esac
set +e
"$BALLOT" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown command must exit 2"
# Control characters from the command line are not echoed to the terminal.
"$BALLOT" $'fro\e[2Jb' 2>"$TMP/err" >/dev/null
grep -q 'fro\\x1b\[2Jb' "$TMP/err" || fail "unknown command not escaped: $(od -c "$TMP/err" | head -3)"
"$BALLOT" report "$TMP/nope.h5" >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] || fail "report of a missing file must fail"
echo "not hdf5" >"$TMP/junk.h5"
"$BALLOT" report "$TMP/junk.h5" >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] || fail "report of a junk file must fail"
set -e
grep -q 'junk.h5' "$TMP/err" || fail "report error does not name the file"
# A FIFO named *.h5 (alone, or in a directory) is refused, not waited on.
mkdir "$TMP/d"
mkfifo "$TMP/d/f.h5"
for cmd in "report $TMP/d/f.h5" "report $TMP/d" "info $TMP/d/f.h5" "check $TMP/d/f.h5"; do
	set +e
	# shellcheck disable=SC2086
	timeout 20 "$BALLOT" $cmd >/dev/null 2>"$TMP/err"
	rc=$?
	set -e
	[ $rc -ne 124 ] || fail "ballot $cmd blocked on a FIFO"
	[ $rc -ne 0 ] || fail "ballot $cmd accepted a FIFO"
	grep -q 'not a regular file' "$TMP/err" || fail "ballot $cmd: no 'not a regular file' ($(cat "$TMP/err"))"
done
echo ok
