/* Throughput and latency time series: fixed intervals, each with counts and a coarse histogram. */
#ifndef BL_METRICS_SERIES_H
#define BL_METRICS_SERIES_H

#include <stddef.h>
#include <stdint.h>

/*
 * Coarse latency histogram, one per interval. Same scheme as hist.h but in
 * units of 4 ns and with 16 sub-buckets per power of two: values below 64 ns
 * fall in 4 ns wide buckets; from 64 ns to 2^37 ns (137 s) the bucket midpoint
 * is within 1/32 (3.1%) of any value in the bucket. Values >= 2^37 ns go to
 * the last bucket. 512 buckets = 4 KiB. No min/max/sum: only counts, so a
 * coarse histogram is a plain uint64 array that MPI_SUM reduces.
 */
#define BL_CHIST_UNIT_BITS 2 /* bucket in units of 2^2 ns */
#define BL_CHIST_SUB_BITS  4
#define BL_CHIST_SUB_COUNT (1 << BL_CHIST_SUB_BITS)
#define BL_CHIST_TOP_BITS  37 /* values < 2^37 ns are bucketed exactly */
#define BL_CHIST_BUCKETS                                                                           \
        ((BL_CHIST_TOP_BITS - BL_CHIST_UNIT_BITS - BL_CHIST_SUB_BITS + 1) * BL_CHIST_SUB_COUNT)

struct bl_chist {
        uint64_t counts[BL_CHIST_BUCKETS];
};

/* Bucket of a value, in [0, BL_CHIST_BUCKETS). Can't fail. */
int bl_chist_bucket_of(uint64_t ns);
/* Bounds of bucket i: low <= v < high (the last bucket also takes larger
 * values); 0 when i is out of range. */
uint64_t bl_chist_bucket_low(int i);
uint64_t bl_chist_bucket_high(int i);
/* Value reported for bucket i: its midpoint (low + high - 1) / 2. */
double bl_chist_bucket_value(int i);

/* Record one value. Can't fail. (Zero a struct bl_chist with memset or = {0}.) */
void bl_chist_record(struct bl_chist *h, uint64_t ns);
/* dst += src. Can't fail. */
void bl_chist_merge(struct bl_chist *dst, const struct bl_chist *src);
/* Sum of the counts. O(BL_CHIST_BUCKETS). */
uint64_t bl_chist_total(const struct bl_chist *h);
/* q-th percentile (q in [0,100]) by nearest rank (bl_hist_rank), reported as
 * the midpoint of its bucket; 0 when empty. O(BL_CHIST_BUCKETS). */
double bl_chist_percentile(const struct bl_chist *h, double q);

/*
 * One interval of the series. A row is BL_SERIES_ROW_WORDS uint64 with no
 * padding, and rows are contiguous, so the whole series is one uint64 array
 * (bl_series_data) that a single MPI_Reduce/MPI_SUM combines across ranks.
 * ok counts successful completions and is also the number of latencies in
 * lat (only successful requests are timed here); errors counts failed ones.
 */
struct bl_series_row {
        uint64_t ok;
        uint64_t errors;
        struct bl_chist lat;
};

#define BL_SERIES_ROW_WORDS (2 + BL_CHIST_BUCKETS)

/* A hard bound on intervals (4 GiB of rows), so a bogus timestamp fails
 * cleanly instead of trying to allocate terabytes. */
#define BL_SERIES_MAX_INTERVALS ((size_t)1 << 20)

/*
 * Interval i covers [i * interval_ns, (i + 1) * interval_ns) since the start
 * time the caller measures from; a request lands in the interval of its
 * completion time. Memory: size the series at init from the planned run
 * (warm-up + duration, plus some slack); when a record passes the end, the
 * row array doubles (amortised O(1), zero-filled). count is one past the
 * last interval written or extended to; rows from count to cap are zero.
 */
struct bl_series {
        uint64_t interval_ns;
        size_t count;
        size_t cap;
        struct bl_series_row *rows;
};

/* Set up an empty series with room for expected_intervals (at least 1).
 * Returns 0, BL_EINVAL if interval_ns is 0, BL_ENOMEM; on failure s holds no
 * memory (bl_series_free is still safe). */
int bl_series_init(struct bl_series *s, uint64_t interval_ns, size_t expected_intervals);

/* Count one completed request at t_ns since the start: latency_ns goes into
 * the interval's histogram if ok != 0, else the interval's errors grow.
 * Returns 0, or BL_ENOMEM if the series had to grow and could not (or would
 * pass BL_SERIES_MAX_INTERVALS); then nothing is recorded and s is intact.
 * Only after a successful bl_series_init. */
int bl_series_record(struct bl_series *s, uint64_t t_ns, uint64_t latency_ns, int ok);

/* Make count at least n (new intervals are empty), e.g. to the maximum count
 * over all ranks before a reduction. Returns 0 or BL_ENOMEM (s intact). */
int bl_series_extend(struct bl_series *s, size_t n);

/* Release the rows; s becomes empty (count 0). Safe to call twice. */
void bl_series_free(struct bl_series *s);

/* Number of intervals in use. */
size_t bl_series_count(const struct bl_series *s);

/* Interval index of a time since the start. */
size_t bl_series_index(const struct bl_series *s, uint64_t t_ns);

/* Raw rows as bl_series_words(s) == count * BL_SERIES_ROW_WORDS uint64, for
 * MPI_Reduce with MPI_SUM (every rank must first extend to the same count).
 * NULL when count is 0. */
uint64_t *bl_series_data(struct bl_series *s);
size_t bl_series_words(const struct bl_series *s);

/* Interval i, or NULL if i >= count. */
const struct bl_series_row *bl_series_row(const struct bl_series *s, size_t i);

/* p99 latency of interval i in ns; 0 if the interval is empty or i >= count. */
double bl_series_p99(const struct bl_series *s, size_t i);

/* Sum intervals [a, b) into *out (b is clamped to count; an empty range gives
 * a zero row), e.g. "p99 over the last second" for a status line. Cost
 * O((b - a) * BL_CHIST_BUCKETS). Can't fail. */
void bl_series_sum(const struct bl_series *s, size_t a, size_t b, struct bl_series_row *out);

#endif
