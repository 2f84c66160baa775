/* Entry point of the rank runtime: run one experiment on a communicator. */
#ifndef BL_RUN_RUN_H
#define BL_RUN_RUN_H

#include <mpi.h>

#include "common/err.h"
#include "config/config.h"
#include "run/faults.h"

struct bl_run_opts {
        const char *command_line;           /* recorded in the result */
        const char *out_path;               /* result file; NULL = <output_dir>/<name>-<time>.h5 */
        int quiet;                          /* no status lines */
        int no_summary;                     /* no summary table either (sweeps) */
        const struct bl_fault_plan *faults; /* NULL: no faults */
};

/*
 * Run the experiment described by cfg on every rank of comm (collective).
 * Returns 0 when the run completed and no verdict failed or was inconclusive,
 * BL_ECHECK when it completed but a verdict failed, BL_EINCONCLUSIVE when
 * none failed but a check could not finish (the result file is written in
 * every one of these cases),
 * or another negative code with a message in eb. When *collective is set to
 * 0 on return, the failure was local to this rank and the caller must abort
 * the job (MPI_Abort) rather than wait for the others.
 */
/*
 * Checks of a parsed fault schedule (path: its file, for messages) against
 * the run cfg describes, before it starts: a transfer needs a kernel that can
 * hand leadership over (else BL_ECONFIG, "path:line: ..."); when warn is not
 * NULL, a fault timed at or after the end of the run (warm-up + duration, or
 * + deadline for a run by ops: it will not be applied) and a pause that
 * outlasts the run (it will be cut at the end) are announced there. Returns 0 or BL_ECONFIG.
 */
int bl_faults_check_run(const char *path, const struct bl_fault_plan *plan,
                        const struct bl_config *cfg, FILE *warn, struct bl_errbuf *eb);

int bl_run(MPI_Comm comm, const struct bl_config *cfg, const struct bl_run_opts *opts,
           int *collective, struct bl_errbuf *eb);

#endif
