/* End of a run: merge measurements, judge correctness, write the result file. */
#ifndef BL_RUN_FINISH_H
#define BL_RUN_FINISH_H

#include "run/rt.h"
#include "run/run.h"

struct bl_baseline {
        double *rtt_row;      /* this rank's round trips to every rank, ns */
        double median_rtt_ns; /* median over measured pairs */
        double p90_rtt_ns, p99_rtt_ns, max_rtt_ns;
        double msg_rate; /* raw MPI messages per second */
        /* Storage (write, fsync mode; 0 in memory mode): a 4 KiB append plus
         * fdatasync in storage.dir, and sequential write bandwidth. */
        double fsync_p50_us, fsync_p99_us, write_mbps;
};

/* Collective: gather nbytes (-1: this rank failed) from every rank into
 * *all at rank 0 (bl_malloc'd there). Returns 0 or BL_ENOMEM, agreed. */
int bl_rt_gather_bytes(struct bl_rt *rt, const void *mine, int nbytes, void **all, int *total);

/* Collective. Returns 0, BL_ECHECK (a verdict failed; file written),
 * BL_EINCONCLUSIVE (none failed, a check could not finish; file written), or an
 * error agreed by all ranks (message in eb). */
int bl_rt_finish(struct bl_rt *rt, const struct bl_baseline *base, const struct bl_run_opts *opts,
                 struct bl_errbuf *eb);

#endif
