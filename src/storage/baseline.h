/* The storage baseline: what one durable append and sequential writing cost in storage.dir. */
#ifndef BL_STORAGE_BASELINE_H
#define BL_STORAGE_BASELINE_H

#include <stdint.h>

#include "common/err.h"

/*
 * Measured the way the log writes: a 4 KiB append to a file followed by
 * fdatasync, `samples` times (p50 and p99 of the pair), then `bw_bytes`
 * written sequentially in 1 MiB writes and one final fdatasync (the
 * bandwidth includes the sync, so a page cache does not flatter it). This
 * blocks: run it in the baseline phase, never inside the event loop.
 */
struct bl_storage_baseline {
        double fsync_p50_us; /* 4 KiB append + fdatasync, median */
        double fsync_p99_us; /* ... 99th percentile */
        double write_mbps;   /* sequential write bandwidth, MB/s (10^6 bytes) */
        int samples;         /* fsync samples taken */
        uint64_t bw_bytes;   /* bytes written for the bandwidth */
};

/* Measure in dir, through a temporary file that is removed afterwards.
 * Returns 0, BL_EINVAL (samples < 1), BL_ENOMEM or BL_EIO (eb names the file). */
int bl_storage_baseline(const char *dir, int samples, uint64_t bw_bytes,
                        struct bl_storage_baseline *out, struct bl_errbuf *eb);

#endif
