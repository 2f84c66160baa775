# The default experiment on 3 ranks: status lines, a summary, one result
# file that h5dump and `ballot report` read, a passing verdict.
. "$(dirname "$0")/lib.sh"
run 3 run configs/default.ini "${QUICK[@]}" -o experiment.status_interval_s=0.5
expect_rc 0
expect_out '^\[measure  *0\.5 s\]'
expect_out '^\[warm-up  *[0-9.]* s\]'
expect_out 'ops/s'
expect_out '# verdict overall'
# Without the full history, a sample of keys is still checked.
grep -q '# verdict linearizable .*pass.*checked the 8 hottest keys and 1 in 64 by hash: [0-9.]*% of the operations' "$TMP/out" || fail "no sampled linearizability verdict with its share of the operations"
f=$(only_file)
no_tmp_files
case "$f" in "$TMP"/default-*.h5) ;; *) fail "unexpected name $f" ;; esac
h5dump -H "$f" >"$TMP/h5" || fail "h5dump cannot read $f"
for path in summary provenance config baseline timeseries messages replicas events verdicts; do
	grep -q "GROUP \"/$path\"\|DATASET \"/$path\"\|DATASET \"$path\"\|GROUP \"$path\"" "$TMP/h5" ||
		fail "no /$path in the file"
done
[ "$(csv_field "$f" kernel)" = none ] || fail "kernel column"
[ "$(csv_field "$f" ranks)" = 3 ] || fail "ranks column"
[ "$(csv_field "$f" shards)" = 3 ] || fail "shards column"
ops=$(csv_field "$f" ops_per_s)
awk -v x="$ops" 'BEGIN { exit !(x > 0) }' || fail "ops_per_s $ops"
rtt=$(csv_field "$f" rtt_us)
awk -v x="$rtt" 'BEGIN { exit !(x > 0) }' || fail "rtt_us $rtt"
"$BALLOT" report --metric ops_per_s "$TMP" >"$TMP/pivot" || fail "report --metric failed"
grep -Eq '^  ycsb-a +3 +1 +[0-9]' "$TMP/pivot" || fail "pivot row for ycsb-a, 3 ranks, 1 replica"
"$BALLOT" info "$f" >"$TMP/info" || fail "ballot info FILE failed"
grep -q 'default' "$TMP/info" || fail "info lacks the experiment name"
echo ok
