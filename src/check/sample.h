/* Which keys the end-of-run linearizability check samples when the full history is off. */
#ifndef BL_CHECK_SAMPLE_H
#define BL_CHECK_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Linearizability is a per-key property (P-compositionality), so checking the
 * operations of a subset of keys is exact for those keys. A hash sample alone
 * (1 key in N) misses the few hot keys that carry most operations of a skewed
 * workload, and they are where concurrency, and so bugs, concentrate: the
 * sample is the hash sample plus the workload's hottest keys
 * (load/workload.h: bl_workload_hot_keys). Plain data, no heap: copy freely.
 */
#define BL_SAMPLE_HOT_MAX 1024

struct bl_key_sample {
        int all;        /* every key (experiment.history) */
        uint64_t every; /* hash sample: keys with mix64(key ^ seed) % every == 0; 0: none */
        uint64_t seed;
        size_t nhot;
        uint64_t hot[BL_SAMPLE_HOT_MAX]; /* sorted, distinct */
};

/* Set up s; hot keys beyond BL_SAMPLE_HOT_MAX are ignored, duplicates
 * merged. Cannot fail. */
void bl_key_sample_init(struct bl_key_sample *s, int all, uint64_t every, uint64_t seed,
                        const uint64_t *hot, size_t nhot);

/* 1 if operations on key are recorded and checked. O(log nhot). */
int bl_key_sample_has(const struct bl_key_sample *s, uint64_t key);

/* "every key", or "the 8 hottest keys and 1 in 64 by hash" (also with only
 * one of the two, or "no key"), into buf. Returns buf. */
const char *bl_key_sample_describe(const struct bl_key_sample *s, char *buf, size_t size);

#endif
