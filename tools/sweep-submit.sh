#!/usr/bin/env bash
# Submit a ballot sweep to Slurm: slurm/sweep.sbatch as one job (one
# `ballot sweep` per rank count, each running all its points and repetitions
# in one srun), then a report job that runs once it has ended (afterany: a
# failed point should not hide the others' rows).
#
#   tools/sweep-submit.sh [--wait] [--dry-run] CONFIG.ini [ballot sweep args...]
#   KERNELS="raft" RANKS="3 5 9" WORKLOADS="ycsb-a ycsb-b" \
#     SBATCH_FLAGS="-p short -t 00:30:00" tools/sweep-submit.sh configs/default.ini \
#     -o cluster.replicas=3 --repeat 3
#
# Environment (as in slurm/sweep.sbatch): KERNELS and WORKLOADS (added as
# --vary lists when set), RANKS ("3"; --ntasks is the largest), RESULTS_DIR
# (results/sweep-JOBID), BALLOT (build/ballot), LAUNCHER, LAUNCHER_FLAGS,
# SBATCH_FLAGS (extra flags for both sbatch calls), PLOT=1 (the report job
# also renders tools/ballot-plot pictures into RESULTS_DIR/<R>r/plots).
# The report job writes RESULTS_DIR/report.txt (ballot report --group) and
# report.csv (one row per run) and fails when a rank count's sweep left no
# index or a run without a result.
# --wait returns when the report job has ended, with its exit status.
# --dry-run prints the two sbatch commands instead of running them.
set -euo pipefail
# Submitted from the current directory (configs and RESULTS_DIR are relative
# to it, as for sbatch); the scripts and the binary are found next to this one.
here=$(cd "$(dirname "$0")/.." && pwd)
wait_flag=()
dry=0
while [ $# -gt 0 ]; do
	case "$1" in
	--wait) wait_flag=(--wait) ;;
	--dry-run) dry=1 ;;
	-h | --help)
		sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 1 ]; then
	echo "usage: $0 [--wait] [--dry-run] CONFIG.ini [ballot sweep args...]" >&2
	exit 2
fi
export KERNELS=${KERNELS:-} RANKS=${RANKS:-3} WORKLOADS=${WORKLOADS:-}
BALLOT=${BALLOT:-$here/build/ballot}
export BALLOT
read -ra rs <<<"$RANKS"
[ ${#rs[@]} -gt 0 ] || { echo "$0: RANKS must not be empty" >&2; exit 2; }
max=0
for r in "${rs[@]}"; do
	case "$r" in '' | *[!0-9]*) echo "$0: RANKS holds '$r', not a number" >&2; exit 2 ;; esac
	[ "$r" -gt "$max" ] && max=$r
done
# shellcheck disable=SC2206
extra=(${SBATCH_FLAGS:-})
sweep=(sbatch --parsable --ntasks="$max" "${extra[@]}" "$here/slurm/sweep.sbatch" "$@")
if [ "$dry" = 1 ]; then
	echo "${sweep[*]}"
	echo "sbatch --dependency=afterany:JOBID ... (ballot report --group ${RESULTS_DIR:-results/sweep-JOBID}/*r)"
	exit 0
fi
jobid=$("${sweep[@]}")
jobid=${jobid%%;*}
RESULTS_DIR=${RESULTS_DIR:-results/sweep-$jobid}
export RESULTS_DIR
mkdir -p "$RESULTS_DIR"
echo "sweep: job $jobid, rank counts $RANKS, results in $RESULTS_DIR/<R>r" >&2

q() { printf '%q' "$1"; }
# The report job's script (sbatch --wrap runs it with /bin/sh).
dirs=""
for r in "${rs[@]}"; do dirs="$dirs $(q "$RESULTS_DIR/${r}r")"; done
report="set -u; cd $(q "$PWD"); d=$(q "$RESULTS_DIR"); b=$(q "$BALLOT"); rc=0
for s in $dirs; do
  [ -f \"\$s/index.csv\" ] || { echo \"sweep $jobid: no \$s/index.csv (see ballot-sweep-$jobid.out)\" >&2; rc=1; continue; }
  if grep -q ',\\(pending\\|error\\),' \"\$s/index.csv\"; then echo \"sweep $jobid: runs without a result in \$s/index.csv\" >&2; rc=1; fi
done
\"\$b\" report --group $dirs >\"\$d/report.txt\" || rc=1
cat \"\$d/report.txt\"
\"\$b\" report --csv $dirs >\"\$d/report.csv\" || rc=1"
if [ "${PLOT:-0}" = 1 ]; then
	for r in "${rs[@]}"; do
		report="$report
$(q "$here/tools/ballot-plot") $(q "$RESULTS_DIR/${r}r") -o $(q "$RESULTS_DIR/${r}r/plots") || rc=1"
	done
fi
report="$report
exit \$rc"
set +e
rid=$(sbatch --parsable "${wait_flag[@]}" --dependency="afterany:$jobid" --ntasks=1 \
	--job-name=ballot-report --output="$RESULTS_DIR/report-%j.out" "${extra[@]}" \
	--wrap="$report")
rc=$?
set -e
rid=${rid%%;*}
echo "sweep: report job ${rid:-?} (afterany:$jobid) writes $RESULTS_DIR/report.txt" >&2
echo "$jobid $rid $RESULTS_DIR"
exit $rc
