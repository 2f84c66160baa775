/*
 * Time series of throughput and latency. See series.h for the layout.
 *
 * The hot path (bl_series_record) is one division, one bounds check and a
 * coarse bucket computation; it allocates only when time passes the end of
 * the rows, doubling them, so a run sized right at init never allocates.
 */
#include "metrics/series.h"

#include "common/alloc.h"
#include "common/err.h"
#include "metrics/hist.h"

#include <string.h>

_Static_assert(sizeof(struct bl_series_row) == BL_SERIES_ROW_WORDS * sizeof(uint64_t),
               "a series row must be a padding-free uint64 array");

int bl_chist_bucket_of(uint64_t ns)
{
        uint64_t u = ns >> BL_CHIST_UNIT_BITS;
        int k;

        if (u < BL_CHIST_SUB_COUNT)
                return (int)u;
        k = 63 - __builtin_clzll(u);
        if (k >= BL_CHIST_TOP_BITS - BL_CHIST_UNIT_BITS)
                return BL_CHIST_BUCKETS - 1;
        return ((k - BL_CHIST_SUB_BITS + 1) << BL_CHIST_SUB_BITS) +
               (int)((u >> (k - BL_CHIST_SUB_BITS)) & (BL_CHIST_SUB_COUNT - 1));
}

uint64_t bl_chist_bucket_low(int i)
{
        int shift;

        if (i < 0 || i >= BL_CHIST_BUCKETS)
                return 0;
        if (i < BL_CHIST_SUB_COUNT)
                return (uint64_t)i << BL_CHIST_UNIT_BITS;
        shift = (i >> BL_CHIST_SUB_BITS) - 1;
        return (uint64_t)(BL_CHIST_SUB_COUNT + (i & (BL_CHIST_SUB_COUNT - 1)))
               << (shift + BL_CHIST_UNIT_BITS);
}

uint64_t bl_chist_bucket_high(int i)
{
        int shift;

        if (i < 0 || i >= BL_CHIST_BUCKETS)
                return 0;
        shift = i < BL_CHIST_SUB_COUNT ? 0 : (i >> BL_CHIST_SUB_BITS) - 1;
        return bl_chist_bucket_low(i) + ((uint64_t)1 << (shift + BL_CHIST_UNIT_BITS));
}

double bl_chist_bucket_value(int i)
{
        return ((double)bl_chist_bucket_low(i) + (double)(bl_chist_bucket_high(i) - 1)) / 2.0;
}

void bl_chist_record(struct bl_chist *h, uint64_t ns)
{
        h->counts[bl_chist_bucket_of(ns)]++;
}

void bl_chist_merge(struct bl_chist *dst, const struct bl_chist *src)
{
        for (int i = 0; i < BL_CHIST_BUCKETS; i++)
                dst->counts[i] += src->counts[i];
}

uint64_t bl_chist_total(const struct bl_chist *h)
{
        uint64_t n = 0;

        for (int i = 0; i < BL_CHIST_BUCKETS; i++)
                n += h->counts[i];
        return n;
}

double bl_chist_percentile(const struct bl_chist *h, double q)
{
        uint64_t rank = bl_hist_rank(q, bl_chist_total(h));
        uint64_t seen = 0;
        int i;

        if (rank == 0)
                return 0.0;
        for (i = 0; i < BL_CHIST_BUCKETS - 1; i++) {
                seen += h->counts[i];
                if (seen >= rank)
                        break;
        }
        return bl_chist_bucket_value(i);
}

/* Grow the rows so that index need - 1 exists; zero the new rows. */
static int series_reserve(struct bl_series *s, size_t need)
{
        struct bl_series_row *rows;
        size_t cap;

        if (need <= s->cap)
                return 0;
        if (need > BL_SERIES_MAX_INTERVALS)
                return BL_ENOMEM;
        cap = s->cap ? s->cap : 1;
        while (cap < need)
                cap *= 2;
        if (cap > BL_SERIES_MAX_INTERVALS)
                cap = BL_SERIES_MAX_INTERVALS;
        rows = bl_realloc(s->rows, cap * sizeof(*rows));
        if (rows == NULL)
                return BL_ENOMEM;
        memset(rows + s->cap, 0, (cap - s->cap) * sizeof(*rows));
        s->rows = rows;
        s->cap = cap;
        return 0;
}

int bl_series_init(struct bl_series *s, uint64_t interval_ns, size_t expected_intervals)
{
        memset(s, 0, sizeof(*s));
        if (interval_ns == 0)
                return BL_EINVAL;
        if (expected_intervals == 0)
                expected_intervals = 1;
        if (expected_intervals > BL_SERIES_MAX_INTERVALS)
                expected_intervals = BL_SERIES_MAX_INTERVALS;
        s->rows = bl_calloc(expected_intervals, sizeof(*s->rows));
        if (s->rows == NULL)
                return BL_ENOMEM;
        s->interval_ns = interval_ns;
        s->cap = expected_intervals;
        return 0;
}

int bl_series_record(struct bl_series *s, uint64_t t_ns, uint64_t latency_ns, int ok)
{
        uint64_t i = t_ns / s->interval_ns;
        struct bl_series_row *r;

        if (i >= s->cap) {
                if (i >= BL_SERIES_MAX_INTERVALS)
                        return BL_ENOMEM;
                if (series_reserve(s, (size_t)i + 1) != 0)
                        return BL_ENOMEM;
        }
        r = &s->rows[i];
        if (ok) {
                r->ok++;
                bl_chist_record(&r->lat, latency_ns);
        } else {
                r->errors++;
        }
        if (i >= s->count)
                s->count = (size_t)i + 1;
        return 0;
}

int bl_series_extend(struct bl_series *s, size_t n)
{
        if (n <= s->count)
                return 0;
        if (series_reserve(s, n) != 0)
                return BL_ENOMEM;
        s->count = n;
        return 0;
}

void bl_series_free(struct bl_series *s)
{
        bl_free(s->rows);
        s->rows = NULL;
        s->count = 0;
        s->cap = 0;
}

size_t bl_series_count(const struct bl_series *s)
{
        return s->count;
}

size_t bl_series_index(const struct bl_series *s, uint64_t t_ns)
{
        return (size_t)(t_ns / s->interval_ns);
}

uint64_t *bl_series_data(struct bl_series *s)
{
        return s->count ? (uint64_t *)s->rows : NULL;
}

size_t bl_series_words(const struct bl_series *s)
{
        return s->count * BL_SERIES_ROW_WORDS;
}

const struct bl_series_row *bl_series_row(const struct bl_series *s, size_t i)
{
        return i < s->count ? &s->rows[i] : NULL;
}

double bl_series_p99(const struct bl_series *s, size_t i)
{
        if (i >= s->count)
                return 0.0;
        return bl_chist_percentile(&s->rows[i].lat, 99.0);
}

void bl_series_sum(const struct bl_series *s, size_t a, size_t b, struct bl_series_row *out)
{
        memset(out, 0, sizeof(*out));
        if (b > s->count)
                b = s->count;
        for (size_t i = a; i < b; i++) {
                out->ok += s->rows[i].ok;
                out->errors += s->rows[i].errors;
                bl_chist_merge(&out->lat, &s->rows[i].lat);
        }
}
