/* Latency histogram: fixed-size, log-bucketed, mergeable, 1% relative error from 0 to 137 s. */
#ifndef BL_METRICS_HIST_H
#define BL_METRICS_HIST_H

#include <stdint.h>

/*
 * Bucketing (HdrHistogram-like, integer only: no log() per sample).
 *
 * Values below 2^BL_HIST_SUB_BITS ns (64 ns) get one bucket each, so they are
 * exact. A larger value v with highest set bit k (2^k <= v < 2^(k+1)) goes to
 * octave k, which is split into 2^BL_HIST_SUB_BITS equal sub-buckets chosen
 * by the BL_HIST_SUB_BITS bits below the top bit. A bucket of octave k is
 * 2^(k-6) ns wide and starts at >= 2^k, so the midpoint of a bucket is within
 * 1/128 (0.78%) of any value in it. Octaves 6..36 are covered, so the fine
 * range is [0, 2^37) ns = [0, 137.4 s): it includes the required 100 ns..100 s.
 * Values >= 2^37 ns are counted in the last bucket (their percentiles come out
 * as that bucket's midpoint, or max_ns if lower); max_ns stays exact.
 *
 * 2048 buckets * 8 bytes = 16 KiB per histogram. That is small enough that the
 * time series uses its own, coarser histogram (series.h) only because it keeps
 * one per interval.
 *
 * Reducing across MPI ranks (no allocation, so arrays of these reduce too):
 *   counts[] and total   MPI_SUM, MPI_UINT64_T; total directly follows
 *                        counts (checked at compile time), so one reduction of
 *                        BL_HIST_SUM_WORDS uint64 starting at counts covers both
 *   sum_ns               MPI_SUM, MPI_DOUBLE
 *   min_ns               MPI_MIN, MPI_UINT64_T (UINT64_MAX when empty)
 *   max_ns               MPI_MAX, MPI_UINT64_T (0 when empty)
 * An all-zero struct is NOT a valid empty histogram (min_ns); use bl_hist_init.
 */
#define BL_HIST_SUB_BITS  6
#define BL_HIST_SUB_COUNT (1 << BL_HIST_SUB_BITS)
#define BL_HIST_TOP_BITS  37 /* values < 2^37 ns are bucketed exactly */
#define BL_HIST_BUCKETS   ((BL_HIST_TOP_BITS - BL_HIST_SUB_BITS + 1) * BL_HIST_SUB_COUNT)
#define BL_HIST_SUM_WORDS (BL_HIST_BUCKETS + 1)

struct bl_hist {
        uint64_t counts[BL_HIST_BUCKETS];
        uint64_t total;  /* number of recorded values: sum of counts */
        uint64_t min_ns; /* exact; UINT64_MAX when empty */
        uint64_t max_ns; /* exact; 0 when empty */
        double sum_ns;   /* for the mean */
};

/* Make h empty. Can't fail. */
void bl_hist_init(struct bl_hist *h);

/* Record one value in ns. O(1), a few instructions. Can't fail. */
void bl_hist_record(struct bl_hist *h, uint64_t ns);

/* Record the value ns n times (n = 0: nothing). O(1). Can't fail. */
void bl_hist_record_n(struct bl_hist *h, uint64_t ns, uint64_t n);

/* Add every value of src to dst (dst may not alias src). Can't fail. */
void bl_hist_merge(struct bl_hist *dst, const struct bl_hist *src);

/*
 * The q-th percentile (q in [0,100], clamped) by nearest rank: the value of
 * rank ceil(q/100 * total) (at least 1) in sorted order, reported as the
 * midpoint of its bucket clamped to [min_ns, max_ns], except that the first
 * rank gives min_ns and the last max_ns exactly (so p0 and p100 are exact).
 * Any value in 0..2^37 ns is reported within 0.78%.
 * Returns 0 for an empty histogram (or a NaN q). O(BL_HIST_BUCKETS).
 */
double bl_hist_percentile(const struct bl_hist *h, double q);

/* Rank (1-based) that the q-th percentile of n values selects: ceil(q/100*n)
 * clamped to [1, n], tolerant of float noise (99.9% of 1000 is 999, not 1000).
 * 0 when n == 0. Shared with the coarse histogram in series.c. */
uint64_t bl_hist_rank(double q, uint64_t n);

/* Exact mean of the recorded values (up to double rounding); 0 if empty. */
double bl_hist_mean(const struct bl_hist *h);

/* Bucket index of a value, in [0, BL_HIST_BUCKETS). Can't fail. */
int bl_hist_bucket_of(uint64_t ns);

/* Bounds of bucket i in ns: it holds values low <= v < high (the last bucket
 * also holds every value >= its high). 0 for i out of range. */
uint64_t bl_hist_bucket_low(int i);
uint64_t bl_hist_bucket_high(int i);

/* The value reported for bucket i: its midpoint (low + high - 1) / 2. */
double bl_hist_bucket_value(int i);

#endif
