/* `ballot sweep`: many configurations and repetitions, one after another in one MPI job. */
#ifndef BL_RUN_SWEEP_H
#define BL_RUN_SWEEP_H

#include <mpi.h>

#include "common/err.h"

/* The index file of a sweep folder: one CSV row per run. */
#define BL_SWEEP_INDEX        "index.csv"
#define BL_SWEEP_INDEX_HEADER "run,point,repetition,seed,file,status"

/*
 * ballot sweep CONFIG.ini --vary section.key=v1,v2,... [--vary ...]
 *              [--repeat N] [-o section.key=value ...] [--out DIR] [--force] [--quiet]
 * argv[0] is "sweep". Collective over comm: every rank parses the same
 * arguments and configurations, so refusals need no communication.
 *
 * Every point of the cartesian product of the --vary values is loaded and
 * validated (with the rank count of comm and its fault schedule) before the
 * first run; a refused point refuses the sweep (BL_ECONFIG, nothing run, no
 * folder created). Then the runs: repetition-major (every point once, then
 * every point again, ...) so slow drift of a shared machine spreads over
 * all points alike; repetition r runs with experiment.seed + r. Each run
 * writes DIR/pNNN-rR.h5 (DIR: <output_dir>/<name>-<UTC time>/ unless --out)
 * and rank 0 rewrites DIR/index.csv after every run. clients.rate=auto is
 * replaced by rates derived from a short closed-loop probe of each
 * combination of the other values (the probes' files go to DIR/probe/).
 *
 * Returns 0 when every run completed and passed (or had nothing to judge:
 * "unknown" in the index), BL_ECHECK when all completed but some verdict
 * failed (marked "fail"), BL_EINCONCLUSIVE when none failed but some check
 * could not finish ("inconclusive"), BL_EIO when some run failed with an
 * error (marked "error"; the others still ran), BL_EINVAL for a usage error and BL_ECONFIG for a
 * refused point (a message in eb, usage errors print usage when usage is set). When *collective is
 * 0 on return the failure was local to this rank and the caller must abort the job.
 */
int bl_sweep_main(MPI_Comm comm, int argc, char **argv, const char *command_line, int *collective,
                  struct bl_errbuf *eb);

#endif
