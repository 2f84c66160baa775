# The sbatch scripts on a real single-node Slurm cluster (tools/slurm-local.sh):
# slurm/run.sbatch runs one experiment and its result file appears; a failing
# run fails its job; a small sweep (2 repetitions on 2 and on 3 ranks, one
# job) through tools/sweep-submit.sh writes its files, indexes and a grouped
# report. Every daemon started is stopped on exit. Bounded: every wait has a timeout, and
# the whole test takes well under 3 minutes.
. "$(dirname "$0")/lib.sh"
t_start=$(date +%s)
export BALLOT
[ -x "$BALLOT" ] || fail "no ballot binary at $BALLOT"

# The submission and the argument checks, without a cluster.
out=$(KERNELS="none raft" RANKS="2 3 5" tools/sweep-submit.sh --dry-run configs/default.ini --repeat 2)
echo "$out"
echo "$out" | grep -q -- '--ntasks=5 .*slurm/sweep.sbatch configs/default.ini --repeat 2' || fail "sweep-submit: wrong ntasks or arguments"
echo "$out" | grep -q -- '--array' && fail "sweep-submit still submits a job array"
set +e
msg=$(RANKS="2 9" SLURM_NTASKS=5 SLURM_SUBMIT_DIR=$ROOT bash slurm/sweep.sbatch configs/default.ini 2>&1)
rc=$?
set -e
[ $rc -eq 2 ] && echo "$msg" | grep -q 'RANKS includes 9 but the job has --ntasks=5' || fail "sweep.sbatch accepted 9 ranks in a 5-task job ($rc: $msg)"

# Start the cluster; stop it whatever happens.
pids_copy=$TMP/daemons
cleanup() {
	local rc=$?
	if [ -n "${SLURM_LOCAL_DIR:-}" ]; then
		cp "$SLURM_LOCAL_DIR/pids" "$pids_copy" 2>/dev/null || true
		if [ $rc -ne 0 ]; then
			for f in "$SLURM_LOCAL_DIR"/log/slurm*.log; do
				echo "---- $f" >&2
				tail -n 15 "$f" >&2 || true
			done
		fi
		timeout 60 "$ROOT/tools/slurm-local.sh" stop "$SLURM_LOCAL_DIR" || true
	fi
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
env_lines=$(timeout 90 "$ROOT/tools/slurm-local.sh" start) || fail "slurm-local.sh start failed"
eval "$env_lines"
[ -n "${SLURM_LOCAL_DIR:-}" ] && [ -f "$SLURM_CONF" ] || fail "slurm-local.sh start printed no SLURM_CONF"
export SLURM_CONF
echo "cluster up after $(($(date +%s) - t_start)) s"

# sbatch_wait SECONDS ARGS...: sbatch --wait, bounded; status in $RC.
sbatch_wait() {
	local secs=$1
	shift
	set +e
	timeout "$secs" sbatch --wait "$@" >"$TMP/sbatch.out" 2>&1
	RC=$?
	set -e
	cat "$TMP/sbatch.out"
	[ $RC -ne 124 ] || fail "sbatch $* did not finish in ${secs}s"
}

# One experiment: the result file, the job's output and its state.
mkdir -p "$TMP/job"
cd "$TMP/job"
sbatch_wait 120 --time=2 "$ROOT/slurm/run.sbatch" "$ROOT/configs/default.ini" "${QUICK[@]}" \
	-o experiment.output_dir="$TMP/res" -o experiment.status_interval_s=0
[ $RC -eq 0 ] || { cat ballot-*.out; fail "run.sbatch job failed with status $RC"; }
job=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$TMP/sbatch.out")
[ -n "$job" ] || fail "no job id from sbatch"
[ -f "ballot-$job.out" ] || fail "no job output ballot-$job.out"
grep -q '# verdict overall' "ballot-$job.out" || { cat "ballot-$job.out"; fail "the job printed no summary"; }
files=$(find "$TMP/res" -name 'default-*.h5')
[ "$(echo "$files" | grep -c .)" -eq 1 ] || fail "expected one result file, found: $files"
[ "$("$BALLOT" report --csv "$files" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ranks") c = i; next } { print $c }')" = 3 ] ||
	fail "the Slurm run did not use 3 ranks"
echo "run.sbatch ok after $(($(date +%s) - t_start)) s"

# A run that fails (a missing config) fails its job.
sbatch_wait 60 --time=1 "$ROOT/slurm/run.sbatch" "$ROOT/configs/no-such-config.ini"
[ $RC -ne 0 ] || fail "a failing run gave a successful job"

# A sweep: none x ycsb-c x 2 repetitions on 2 and then 3 ranks, in one job
# (one `ballot sweep` per rank count), then the report job; from $TMP/sweep
# so the default RESULTS_DIR (results/sweep-JOBID) lands there.
mkdir -p "$TMP/sweep"
cd "$TMP/sweep"
set +e
KERNELS=none RANKS="2 3" WORKLOADS=ycsb-c SBATCH_FLAGS="--time=2" \
	timeout 150 "$ROOT/tools/sweep-submit.sh" --wait "$ROOT/configs/default.ini" "${QUICK[@]}" \
	-o experiment.status_interval_s=0 --repeat 2 --quiet >"$TMP/sweep.out" 2>&1
RC=$?
set -e
cat "$TMP/sweep.out"
[ $RC -ne 124 ] || fail "the sweep did not finish in 150 s"
read -r sweep_job report_job dir < <(tail -n 1 "$TMP/sweep.out") || true
[ -n "$report_job" ] && [ -d "$dir" ] || fail "sweep-submit printed no job ids"
cat "$dir"/report-*.out 2>/dev/null || true
[ $RC -eq 0 ] || { tail -n 20 ballot-sweep-*.out; fail "the sweep's report job failed ($RC)"; }
[ "$dir" = "results/sweep-$sweep_job" ] || fail "unexpected results directory $dir"
for r in 2 3; do
	for f in p000-r0.h5 p000-r1.h5 index.csv; do
		[ -f "$dir/${r}r/$f" ] || fail "the sweep wrote no $dir/${r}r/$f"
	done
done
[ -f "ballot-sweep-$sweep_job.out" ] || fail "no job output"
[ "$(grep -c '^# sweep: 1 point x 2 repetitions = 2 runs on [23] ranks' "ballot-sweep-$sweep_job.out")" -eq 2 ] ||
	fail "not one sweep per rank count in the job"
[ "$(grep -c '^  [0-9a-f]\{16\} none .* 2 .*2/2' "$dir/report.txt")" -eq 2 ] || fail "report.txt lacks the two groups of 2 runs"
[ "$(wc -l <"$dir/report.csv")" -eq 5 ] || fail "report.csv should hold a header and 4 rows"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "ranks") c = i; next } { print $c }' "$dir/report.csv" |
	sort | tr '\n' ' ' | grep -q '^2 2 3 3 $' || fail "report.csv rank counts are not 2, 2, 3, 3"
echo "sweep ok after $(($(date +%s) - t_start)) s"

# Stop the cluster here (the trap would too) and check that nothing is left.
cd "$ROOT"
cp "$SLURM_LOCAL_DIR/pids" "$pids_copy"
timeout 60 "$ROOT/tools/slurm-local.sh" stop "$SLURM_LOCAL_DIR" || fail "slurm-local.sh stop failed"
[ ! -d "$SLURM_LOCAL_DIR" ] || fail "slurm-local.sh stop left $SLURM_LOCAL_DIR"
unset SLURM_LOCAL_DIR
while read -r name pid; do
	if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$name" ] &&
		[ "$(awk '{ print $3 }' "/proc/$pid/stat")" != Z ]; then
		fail "$name ($pid) still runs after stop"
	fi
done <"$pids_copy"
echo "ok: $(($(date +%s) - t_start)) s end to end"
