# The command line: help, version, info, usage errors, report errors.
. "$(dirname "$0")/lib.sh"
"$BALLOT" --help | grep -q 'ballot run' || fail "--help"
"$BALLOT" --version | grep -q '^ballot [0-9]' || fail "--version"
"$BALLOT" info >"$TMP/info" || fail "info"
grep -q '^  none ' "$TMP/info" || fail "info lists no none kernel"
for key in cluster.shards cluster.replicas workload.type clients.outstanding experiment.seed; do
	grep -q "$key" "$TMP/info" || fail "info lacks option $key"
done
set +e
"$BALLOT" frobnicate >/dev/null 2>&1
[ $? -eq 2 ] || fail "unknown command must exit 2"
"$BALLOT" report "$TMP/nope.h5" >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] || fail "report of a missing file must fail"
echo "not hdf5" >"$TMP/junk.h5"
"$BALLOT" report "$TMP/junk.h5" >/dev/null 2>"$TMP/err"
[ $? -ne 0 ] || fail "report of a junk file must fail"
set -e
grep -q 'junk.h5' "$TMP/err" || fail "report error does not name the file"
echo ok
