#!/usr/bin/env bash
# Submit a ballot sweep to Slurm: slurm/sweep.sbatch as a job array sized to
# KERNELS x RANKS x WORKLOADS, then a report job that runs once every array
# task has ended (afterany: a failed task should not hide the others' rows).
#
#   tools/sweep-submit.sh [--wait] [--dry-run] CONFIG.ini [ballot run args...]
#   KERNELS="raft" RANKS="3 5 9" WORKLOADS="ycsb-a ycsb-b" \
#     SBATCH_FLAGS="-p short -t 00:30:00" tools/sweep-submit.sh configs/default.ini -o cluster.replicas=3
#
# Environment (defaults as in slurm/sweep.sbatch): KERNELS ("none"),
# RANKS ("2 3"), WORKLOADS ("ycsb-a ycsb-c"), RESULTS_DIR
# (results/sweep-ARRAYJOBID), BALLOT (build/ballot), LAUNCHER, LAUNCHER_FLAGS,
# SBATCH_FLAGS (extra flags for both sbatch calls), MAX_PARALLEL (at most
# this many array tasks at once: --array=0-N%MAX_PARALLEL), PLOT=1 (the report job
# also renders tools/ballot-plot pictures into RESULTS_DIR/plots).
# The report job writes RESULTS_DIR/report.txt and report.csv and fails when
# fewer result files than array tasks exist.
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
		sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*) break ;;
	esac
	shift
done
if [ $# -lt 1 ]; then
	echo "usage: $0 [--wait] [--dry-run] CONFIG.ini [ballot run args...]" >&2
	exit 2
fi
export KERNELS=${KERNELS:-none} RANKS=${RANKS:-2 3} WORKLOADS=${WORKLOADS:-ycsb-a ycsb-c}
BALLOT=${BALLOT:-$here/build/ballot}
export BALLOT
read -ra ks <<<"$KERNELS"
read -ra rs <<<"$RANKS"
read -ra ws <<<"$WORKLOADS"
n=$((${#ks[@]} * ${#rs[@]} * ${#ws[@]}))
[ "$n" -gt 0 ] || { echo "$0: KERNELS, RANKS and WORKLOADS must not be empty" >&2; exit 2; }
max=0
for r in "${rs[@]}"; do
	case "$r" in '' | *[!0-9]*) echo "$0: RANKS holds '$r', not a number" >&2; exit 2 ;; esac
	[ "$r" -gt "$max" ] && max=$r
done
# shellcheck disable=SC2206
extra=(${SBATCH_FLAGS:-})
array="0-$((n - 1))${MAX_PARALLEL:+%$MAX_PARALLEL}"
sweep=(sbatch --parsable --array="$array" --ntasks="$max" "${extra[@]}" "$here/slurm/sweep.sbatch" "$@")
if [ "$dry" = 1 ]; then
	echo "${sweep[*]}"
	echo "sbatch --dependency=afterany:JOBID ... (ballot report ${RESULTS_DIR:-results/sweep-JOBID})"
	exit 0
fi
jobid=$("${sweep[@]}")
jobid=${jobid%%;*}
RESULTS_DIR=${RESULTS_DIR:-results/sweep-$jobid}
export RESULTS_DIR
mkdir -p "$RESULTS_DIR"
echo "sweep: array job $jobid, $n tasks (${#ks[@]} kernels x ${#rs[@]} rank counts x ${#ws[@]} workloads), results in $RESULTS_DIR" >&2

q() { printf '%q' "$1"; }
# The report job's script (sbatch --wrap runs it with /bin/sh).
report="set -u; cd $(q "$PWD"); d=$(q "$RESULTS_DIR"); b=$(q "$BALLOT")
n=\$(find \"\$d\" -maxdepth 1 -name '*.h5' | wc -l)
echo \"sweep $jobid: \$n of $n result files in \$d\"
\"\$b\" report \"\$d\" >\"\$d/report.txt\"; rc=\$?
cat \"\$d/report.txt\"
\"\$b\" report --csv \"\$d\" >\"\$d/report.csv\" || rc=1"
if [ "${PLOT:-0}" = 1 ]; then
	report="$report
$(q "$here/tools/ballot-plot") \"\$d\" -o \"\$d/plots\" || rc=1"
fi
report="$report
[ \"\$n\" -eq $n ] || { echo \"sweep $jobid: expected $n result files, found \$n (see ballot-sweep-${jobid}_*.out)\" >&2; exit 1; }
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
