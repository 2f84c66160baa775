#!/usr/bin/env bash
# Run every benchmark config (configs/bench/*.ini, or the ones given) into
# results/bench/, then report them. A config names its rank count in a
# comment line "# ranks: N" (default 3).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=${BENCH_OUT:-results/bench}
mkdir -p "$out"
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(configs/bench/*.ini)
status=0
for c in "${configs[@]}"; do
	np=$(sed -n 's/^# *ranks: *\([0-9][0-9]*\).*/\1/p' "$c" | head -n 1)
	np=${np:-3}
	echo "## $c on $np ranks"
	tools/mpirun.sh "$np" "$BUILD/ballot" run "$c" --quiet -o experiment.output_dir="$out" || status=1
done
"$BUILD/ballot" report "$out"
exit $status
