# Bad configuration is refused before any work: exit status 2, a message
# naming the file, line, key and value, and no result file.
. "$(dirname "$0")/lib.sh"
check_bad() { # FILE-CONTENT EXPECTED-TEXT [NP]
	printf '%s\n' "$1" >"$TMP/bad.ini"
	run "${3:-2}" run "$TMP/bad.ini" -o experiment.output_dir="$TMP"
	expect_rc 2
	grep -q -- "$2" "$TMP/out" || fail "message lacks '$2' for: $1"
	if find "$TMP" -name '*.h5*' | grep -q .; then fail "a result file was written"; fi
}
check_bad $'[cluster]\nshards = 2\nbogus = 1' 'bad.ini:3'
check_bad $'[cluster]\nshards = 2\nbogus = 1' 'bogus'
check_bad $'[cluster]\nreplicas = abc' 'abc'
check_bad $'[cluster]\nshards = 0' 'shards'
check_bad $'[nosuch]\nx = 1' 'nosuch'
check_bad $'[workload]\ntype = ycsb-z' 'ycsb-z'
check_bad $'[experiment]\nkernel = raft-ish' 'raft-ish'
# more replicas than ranks (needs the rank count)
check_bad $'[experiment]\nkernel = none\n[cluster]\nclient_ranks = 2' 'client_ranks'
# a missing file, and a bad override
run 2 run "$TMP/does-not-exist.ini"
expect_rc 2
expect_out 'does-not-exist.ini'
run 2 run configs/default.ini -o cluster.shards=-4 -o experiment.output_dir="$TMP"
expect_rc 2
expect_out 'shards'
run 2 run configs/default.ini -o nodot
expect_rc 2
expect_out 'nodot'
echo ok
