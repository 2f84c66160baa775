/*
 * Latency histogram. See hist.h for the bucketing and the error bound.
 *
 * Recording costs one count-leading-zeros, two shifts and four memory updates;
 * percentiles walk the 2048 counts once, which is fine for reports and status
 * lines but not meant for the per-request path.
 */
#include "metrics/hist.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

_Static_assert(offsetof(struct bl_hist, total) ==
                   offsetof(struct bl_hist, counts) + sizeof(((struct bl_hist *)0)->counts),
               "total must directly follow counts so one MPI_SUM covers both");

void bl_hist_init(struct bl_hist *h)
{
        memset(h, 0, sizeof(*h));
        h->min_ns = UINT64_MAX;
}

int bl_hist_bucket_of(uint64_t ns)
{
        int k;

        if (ns < BL_HIST_SUB_COUNT)
                return (int)ns;
        k = 63 - __builtin_clzll(ns); /* ns >= 64, so k >= BL_HIST_SUB_BITS */
        if (k >= BL_HIST_TOP_BITS)
                return BL_HIST_BUCKETS - 1;
        return ((k - BL_HIST_SUB_BITS + 1) << BL_HIST_SUB_BITS) +
               (int)((ns >> (k - BL_HIST_SUB_BITS)) & (BL_HIST_SUB_COUNT - 1));
}

uint64_t bl_hist_bucket_low(int i)
{
        int shift;

        if (i < 0 || i >= BL_HIST_BUCKETS)
                return 0;
        if (i < BL_HIST_SUB_COUNT)
                return (uint64_t)i;
        shift = (i >> BL_HIST_SUB_BITS) - 1; /* octave k minus BL_HIST_SUB_BITS */
        return (uint64_t)(BL_HIST_SUB_COUNT + (i & (BL_HIST_SUB_COUNT - 1))) << shift;
}

uint64_t bl_hist_bucket_high(int i)
{
        if (i < 0 || i >= BL_HIST_BUCKETS)
                return 0;
        if (i < BL_HIST_SUB_COUNT)
                return (uint64_t)i + 1;
        return bl_hist_bucket_low(i) + ((uint64_t)1 << ((i >> BL_HIST_SUB_BITS) - 1));
}

double bl_hist_bucket_value(int i)
{
        return ((double)bl_hist_bucket_low(i) + (double)(bl_hist_bucket_high(i) - 1)) / 2.0;
}

void bl_hist_record(struct bl_hist *h, uint64_t ns)
{
        h->counts[bl_hist_bucket_of(ns)]++;
        h->total++;
        h->sum_ns += (double)ns;
        if (ns < h->min_ns)
                h->min_ns = ns;
        if (ns > h->max_ns)
                h->max_ns = ns;
}

void bl_hist_record_n(struct bl_hist *h, uint64_t ns, uint64_t n)
{
        if (n == 0)
                return;
        h->counts[bl_hist_bucket_of(ns)] += n;
        h->total += n;
        h->sum_ns += (double)ns * (double)n;
        if (ns < h->min_ns)
                h->min_ns = ns;
        if (ns > h->max_ns)
                h->max_ns = ns;
}

void bl_hist_merge(struct bl_hist *dst, const struct bl_hist *src)
{
        for (int i = 0; i < BL_HIST_BUCKETS; i++)
                dst->counts[i] += src->counts[i];
        dst->total += src->total;
        dst->sum_ns += src->sum_ns;
        if (src->min_ns < dst->min_ns)
                dst->min_ns = src->min_ns;
        if (src->max_ns > dst->max_ns)
                dst->max_ns = src->max_ns;
}

uint64_t bl_hist_rank(double q, uint64_t n)
{
        double x;
        uint64_t r;

        if (n == 0 || isnan(q))
                return 0;
        if (q <= 0.0)
                return 1;
        if (q >= 100.0)
                return n;
        x = q / 100.0 * (double)n;
        /* q/100*n carries a few ulps of noise: 99.9/100*1000 may be 999.0000000000001. */
        x -= x * 1e-13;
        r = (uint64_t)ceil(x);
        if (r < 1)
                r = 1;
        if (r > n)
                r = n;
        return r;
}

double bl_hist_percentile(const struct bl_hist *h, double q)
{
        uint64_t rank = bl_hist_rank(q, h->total);
        uint64_t seen = 0;
        double v;
        int i;

        if (rank == 0)
                return 0.0;
        /* The extreme ranks are known exactly. */
        if (rank == 1)
                return (double)h->min_ns;
        if (rank == h->total)
                return (double)h->max_ns;
        for (i = 0; i < BL_HIST_BUCKETS - 1; i++) {
                seen += h->counts[i];
                if (seen >= rank)
                        break;
        }
        v = bl_hist_bucket_value(i);
        /* Clamping towards [min, max] only moves v closer to the true value,
         * which lies in that interval. */
        if (v < (double)h->min_ns)
                v = (double)h->min_ns;
        if (v > (double)h->max_ns)
                v = (double)h->max_ns;
        return v;
}

double bl_hist_mean(const struct bl_hist *h)
{
        if (h->total == 0)
                return 0.0;
        return h->sum_ns / (double)h->total;
}
