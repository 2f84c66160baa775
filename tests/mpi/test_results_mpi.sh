#!/usr/bin/env bash
# The results writer on 2 and 3 ranks: each rank's rows land in place, a
# failure on one rank fails every rank the same way and leaves no file.
# Runs the collective part of the results unit tests under mpirun.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in
/*) ;;
*) build="$here/$build" ;;
esac
bin="$build/tests/unit/test_results"
if [ ! -x "$bin" ]; then
	echo "missing $bin (make $bin)" >&2
	exit 1
fi
for np in 2 3; do
	echo "# test_results on $np ranks"
	timeout 120 "$here/tools/mpirun.sh" "$np" "$bin"
done
# Transaction histories concatenated over ranks: rebased indexes rebuild them.
txn="$build/tests/unit/test_results_txn"
if [ ! -x "$txn" ]; then
	echo "missing $txn (make $txn)" >&2
	exit 1
fi
echo "# test_results_txn on 3 ranks"
timeout 120 "$here/tools/mpirun.sh" 3 "$txn"
