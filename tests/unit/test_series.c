/* Unit tests for the time series (src/metrics/series.c) and the event log (src/metrics/evlog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/events.h"
#include "common/rng.h"
#include "metrics/evlog.h"
#include "metrics/series.h"

#define MS 1000000ULL

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

        return a < b ? -1 : a > b;
}

static void assert_within(double got, double want, double rel)
{
        if (fabs(got - want) > rel * want)
                fail_msg("got %.1f, want %.1f (error %.3f%%, bound %.1f%%)", got, want,
                         100.0 * fabs(got - want) / want, 100.0 * rel);
}

static uint64_t log_uniform(struct bl_rng *r, uint64_t lo, uint64_t hi)
{
        double x = log((double)lo) + bl_rng_double(r) * (log((double)hi) - log((double)lo));
        uint64_t v = (uint64_t)exp(x);

        return v < lo ? lo : v > hi ? hi : v;
}

/* Exact nearest-rank percentile of sorted v[0..n). */
static uint64_t exact_pct(const uint64_t *v, size_t n, double q)
{
        size_t rank = (size_t)ceil(q / 100.0 * (double)n - 1e-9);

        return v[rank ? rank - 1 : 0];
}

/* ---- coarse histogram ---- */

static void test_chist_buckets(void **state)
{
        (void)state;
        assert_int_equal(BL_CHIST_BUCKETS, 512);
        assert_int_equal(bl_chist_bucket_low(0), 0);
        for (int i = 0; i < BL_CHIST_BUCKETS; i++) {
                uint64_t lo = bl_chist_bucket_low(i), hi = bl_chist_bucket_high(i);

                assert_true(lo < hi);
                if (i + 1 < BL_CHIST_BUCKETS)
                        assert_int_equal(hi, bl_chist_bucket_low(i + 1));
                assert_int_equal(bl_chist_bucket_of(lo), i);
                assert_int_equal(bl_chist_bucket_of(hi - 1), i);
                if (lo >= 64) {
                        assert_within(bl_chist_bucket_value(i), (double)lo, 0.032);
                        assert_within(bl_chist_bucket_value(i), (double)(hi - 1), 0.032);
                }
        }
        assert_int_equal(bl_chist_bucket_high(BL_CHIST_BUCKETS - 1), 1ULL << 37);
        assert_int_equal(bl_chist_bucket_of(UINT64_MAX), BL_CHIST_BUCKETS - 1);
        assert_int_equal(bl_chist_bucket_of(100000000000ULL) < BL_CHIST_BUCKETS - 1, 1);
}

static void test_chist_percentiles(void **state)
{
        enum { N = 5000 };
        static struct bl_chist h;
        uint64_t v[N];
        struct bl_rng r;

        (void)state;
        bl_rng_seed(&r, 3, 1);
        memset(&h, 0, sizeof(h));
        assert_true(bl_chist_percentile(&h, 99) == 0.0);
        for (int i = 0; i < N; i++) {
                v[i] = log_uniform(&r, 100, 100000000000ULL);
                bl_chist_record(&h, v[i]);
        }
        qsort(v, N, sizeof(v[0]), cmp_u64);
        assert_int_equal(bl_chist_total(&h), N);
        for (int q = 0; q <= 100; q++)
                assert_within(bl_chist_percentile(&h, q), (double)exact_pct(v, N, q), 0.05);
        assert_within(bl_chist_percentile(&h, 99.9), (double)exact_pct(v, N, 99.9), 0.05);
}

/* ---- series ---- */

static void test_series_init_args(void **state)
{
        struct bl_series s;

        (void)state;
        assert_int_equal(bl_series_init(&s, 0, 10), BL_EINVAL);
        bl_series_free(&s);
        assert_int_equal(bl_series_init(&s, 100 * MS, 0), 0);
        assert_int_equal(bl_series_count(&s), 0);
        assert_null(bl_series_data(&s));
        assert_int_equal(bl_series_words(&s), 0);
        assert_null(bl_series_row(&s, 0));
        assert_true(bl_series_p99(&s, 0) == 0.0);
        bl_series_free(&s);
        bl_series_free(&s);
}

static void test_series_intervals(void **state)
{
        struct bl_series s;
        const struct bl_series_row *r;

        (void)state;
        assert_int_equal(bl_series_init(&s, 100 * MS, 10), 0);
        assert_int_equal(bl_series_record(&s, 0, 5000, 1), 0);
        assert_int_equal(bl_series_record(&s, 100 * MS - 1, 7000, 1), 0);
        assert_int_equal(bl_series_record(&s, 100 * MS, 9000, 1), 0);
        assert_int_equal(bl_series_record(&s, 250 * MS, 1000, 0), 0);
        assert_int_equal(bl_series_record(&s, 299 * MS, 2000, 0), 0);
        assert_int_equal(bl_series_record(&s, 250 * MS, 3000, 1), 0);
        assert_int_equal(bl_series_count(&s), 3);
        assert_int_equal(bl_series_index(&s, 250 * MS), 2);

        r = bl_series_row(&s, 0);
        assert_int_equal(r->ok, 2);
        assert_int_equal(r->errors, 0);
        assert_int_equal(r->lat.counts[bl_chist_bucket_of(5000)], 1);
        assert_int_equal(r->lat.counts[bl_chist_bucket_of(7000)], 1);
        assert_int_equal(bl_chist_total(&r->lat), 2);
        r = bl_series_row(&s, 1);
        assert_int_equal(r->ok, 1);
        assert_int_equal(r->lat.counts[bl_chist_bucket_of(9000)], 1);
        r = bl_series_row(&s, 2);
        assert_int_equal(r->ok, 1);
        assert_int_equal(r->errors, 2);
        /* failed requests are not timed */
        assert_int_equal(bl_chist_total(&r->lat), 1);
        assert_within(bl_series_p99(&s, 2), 3000, 0.032);
        assert_null(bl_series_row(&s, 3));

        /* raw array view: one contiguous uint64 row per interval */
        uint64_t *d = bl_series_data(&s);

        assert_non_null(d);
        assert_int_equal(bl_series_words(&s), 3 * BL_SERIES_ROW_WORDS);
        assert_int_equal(d[0 * BL_SERIES_ROW_WORDS + 0], 2);
        assert_int_equal(d[2 * BL_SERIES_ROW_WORDS + 1], 2);
        assert_int_equal(d[1 * BL_SERIES_ROW_WORDS + 2 + bl_chist_bucket_of(9000)], 1);
        bl_series_free(&s);
}

static void test_series_grows(void **state)
{
        struct bl_series s;
        const struct bl_series_row *r;

        (void)state;
        assert_int_equal(bl_series_init(&s, 100 * MS, 2), 0);
        for (uint64_t t = 0; t < 200 * MS; t += MS)
                assert_int_equal(bl_series_record(&s, t, 1000 + t / MS, 1), 0);
        assert_int_equal(bl_series_record(&s, 10000 * MS + 5, 4242, 1), 0); /* interval 100 */
        assert_int_equal(bl_series_count(&s), 101);
        assert_true(s.cap >= 101);
        assert_int_equal(bl_series_row(&s, 0)->ok, 100);
        assert_int_equal(bl_series_row(&s, 1)->ok, 100);
        for (size_t i = 2; i < 100; i++) {
                r = bl_series_row(&s, i);
                assert_int_equal(r->ok + r->errors + bl_chist_total(&r->lat), 0);
        }
        r = bl_series_row(&s, 100);
        assert_int_equal(r->ok, 1);
        assert_int_equal(r->lat.counts[bl_chist_bucket_of(4242)], 1);
        /* extend pads with empty intervals; never shrinks */
        assert_int_equal(bl_series_extend(&s, 50), 0);
        assert_int_equal(bl_series_count(&s), 101);
        assert_int_equal(bl_series_extend(&s, 300), 0);
        assert_int_equal(bl_series_count(&s), 300);
        assert_int_equal(bl_series_row(&s, 299)->ok, 0);
        assert_int_equal(bl_series_row(&s, 100)->ok, 1);
        /* absurd timestamps fail cleanly */
        assert_int_equal(bl_series_record(&s, UINT64_MAX, 1, 1), BL_ENOMEM);
        assert_int_equal(bl_series_count(&s), 300);
        bl_series_free(&s);
}

/* Rows added by growth are zero even when the allocator hands back dirty memory. */
static void test_series_growth_zeroes(void **state)
{
        struct bl_series s;

        (void)state;
        for (int round = 0; round < 4; round++) {
                assert_int_equal(bl_series_init(&s, MS, 1), 0);
                assert_int_equal(bl_series_record(&s, 0, 100, 1), 0);
                for (size_t sz = 8 * 1024; sz <= 64 * 1024; sz *= 2) {
                        unsigned char *dirt = malloc(sz); /* leave garbage for realloc to reuse */

                        assert_non_null(dirt);
                        memset(dirt, 0xab, sz);
                        free(dirt);
                }
                assert_int_equal(bl_series_record(&s, (1u << round) * 5 * MS, 100, 1), 0);
                for (size_t i = 1; i + 1 < bl_series_count(&s); i++) {
                        const struct bl_series_row *r = bl_series_row(&s, i);

                        assert_int_equal(r->ok + r->errors + bl_chist_total(&r->lat), 0);
                }
                assert_int_equal(bl_series_row(&s, 0)->ok, 1);
                bl_series_free(&s);
        }
}

/* Each interval gets its own latency scale; its p99 must be within 5% of the
 * exact one, and so must the p99 of a sum of intervals. */
static void test_series_p99_per_interval(void **state)
{
        enum { INTERVALS = 12, PER = 3000 };
        static uint64_t v[INTERVALS][PER];
        static uint64_t last[10 * PER];
        static struct bl_series_row sum;
        struct bl_series s;
        struct bl_rng r;

        (void)state;
        bl_rng_seed(&r, 11, 0);
        assert_int_equal(bl_series_init(&s, 100 * MS, INTERVALS), 0);
        for (int i = 0; i < INTERVALS; i++) {
                uint64_t lo = 1000ULL << i; /* from 1 us */

                for (int k = 0; k < PER; k++) {
                        uint64_t t = i * 100 * MS + bl_rng_below(&r, 100 * MS);

                        v[i][k] = log_uniform(&r, lo, lo * 50);
                        assert_int_equal(bl_series_record(&s, t, v[i][k], 1), 0);
                        if (k % 10 == 0) /* a failure with a huge latency: not timed */
                                assert_int_equal(bl_series_record(&s, t, 90000 * MS, 0), 0);
                }
                qsort(v[i], PER, sizeof(v[i][0]), cmp_u64);
        }
        assert_int_equal(bl_series_count(&s), INTERVALS);
        for (int i = 0; i < INTERVALS; i++) {
                const struct bl_series_row *row = bl_series_row(&s, i);

                assert_int_equal(row->ok, PER);
                assert_int_equal(row->errors, PER / 10);
                assert_within(bl_series_p99(&s, i), (double)exact_pct(v[i], PER, 99), 0.05);
                for (int q = 1; q <= 100; q++)
                        assert_within(bl_chist_percentile(&row->lat, q),
                                      (double)exact_pct(v[i], PER, q), 0.05);
        }

        /* "the last second": intervals [2, 12) */
        for (int i = 2; i < INTERVALS; i++)
                memcpy(last + (i - 2) * PER, v[i], sizeof(v[i]));
        qsort(last, 10 * PER, sizeof(last[0]), cmp_u64);
        bl_series_sum(&s, 2, 12, &sum);
        assert_int_equal(sum.ok, 10 * PER);
        assert_int_equal(sum.errors, 10 * (PER / 10));
        assert_within(bl_chist_percentile(&sum.lat, 99), (double)exact_pct(last, 10 * PER, 99),
                      0.05);
        assert_within(bl_chist_percentile(&sum.lat, 50), (double)exact_pct(last, 10 * PER, 50),
                      0.05);
        /* b past the end is clamped; empty ranges give a zero row */
        bl_series_sum(&s, 2, 1000, &sum);
        assert_int_equal(sum.ok, 10 * PER);
        bl_series_sum(&s, 5, 5, &sum);
        assert_int_equal(sum.ok + sum.errors + bl_chist_total(&sum.lat), 0);
        bl_series_sum(&s, 50, 60, &sum);
        assert_int_equal(sum.ok, 0);
        bl_series_free(&s);
}

/* OOM at every allocation the series makes: an error, the series intact, no leak. */
static void test_series_oom(void **state)
{
        struct bl_series s;

        (void)state;
        bl_alloc_fail_after(1);
        assert_int_equal(bl_series_init(&s, MS, 4), BL_ENOMEM);
        assert_null(s.rows);
        bl_series_free(&s);

        assert_int_equal(bl_series_init(&s, MS, 4), 0);
        assert_int_equal(bl_series_record(&s, 3 * MS, 500, 1), 0); /* fits: no allocation */
        bl_alloc_fail_after(1);
        assert_int_equal(bl_series_record(&s, 4 * MS, 700, 1), BL_ENOMEM);
        assert_int_equal(bl_series_count(&s), 4);
        assert_int_equal(s.cap, 4);
        assert_int_equal(bl_series_row(&s, 3)->ok, 1);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_series_extend(&s, 100), BL_ENOMEM);
        assert_int_equal(bl_series_count(&s), 4);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_series_record(&s, 4 * MS, 700, 1), 0);
        assert_int_equal(bl_series_count(&s), 5);
        assert_int_equal(bl_series_row(&s, 3)->ok, 1);
        assert_int_equal(bl_series_row(&s, 4)->ok, 1);
        bl_series_free(&s);
}

/* ---- event log ---- */

static void test_evlog_grows_in_order(void **state)
{
        struct bl_evlog log;
        const struct bl_event *e;

        (void)state;
        assert_int_equal(bl_evlog_init(&log), 0);
        assert_int_equal(bl_evlog_count(&log), 0);
        assert_null(bl_evlog_get(&log, 0));
        for (int i = 0; i < 5000; i++)
                assert_int_equal(bl_evlog_add(&log, 5000 - i, i % 7, i % BL_EV__COUNT, i, -i), 0);
        assert_int_equal(bl_evlog_count(&log), 5000);
        for (int i = 0; i < 5000; i++) {
                e = bl_evlog_get(&log, i);
                assert_int_equal(e->t_ns, 5000 - i);
                assert_int_equal(e->rank, i % 7);
                assert_int_equal(e->type, i % BL_EV__COUNT);
                assert_int_equal(e->a, i);
                assert_int_equal(e->b, -i);
        }
        assert_null(bl_evlog_get(&log, 5000));
        assert_int_equal(bl_evlog_add(&log, 1, 0, -1, 0, 0), BL_EINVAL);
        assert_int_equal(bl_evlog_add(&log, 1, 0, BL_EV__COUNT, 0, 0), BL_EINVAL);
        assert_int_equal(bl_evlog_count(&log), 5000);
        bl_evlog_free(&log);
        bl_evlog_free(&log);
}

/* Logs gathered from three ranks, appended and sorted: by time, then rank,
 * and events of one rank at one instant keep their order. */
static void test_evlog_append_sort(void **state)
{
        struct bl_evlog log, part;
        struct bl_rng r;
        const struct bl_event *p, *e;

        (void)state;
        bl_rng_seed(&r, 8, 0);
        assert_int_equal(bl_evlog_init(&log), 0);
        for (int rank = 0; rank < 3; rank++) {
                uint64_t t = 0;

                assert_int_equal(bl_evlog_init(&part), 0);
                for (int i = 0; i < 300; i++) {
                        t += bl_rng_below(&r, 3); /* many equal times */
                        assert_int_equal(bl_evlog_add(&part, t, 2 - rank, BL_EV_LEADER, i, 0), 0);
                }
                assert_int_equal(bl_evlog_append(&log, part.ev, part.count), 0);
                bl_evlog_free(&part);
        }
        assert_int_equal(bl_evlog_append(&log, NULL, 0), 0);
        assert_int_equal(bl_evlog_count(&log), 900);
        assert_int_equal(bl_evlog_sort(&log), 0);
        for (size_t i = 1; i < 900; i++) {
                p = bl_evlog_get(&log, i - 1);
                e = bl_evlog_get(&log, i);
                assert_true(p->t_ns < e->t_ns ||
                            (p->t_ns == e->t_ns &&
                             (p->rank < e->rank || (p->rank == e->rank && p->a < e->a))));
        }
        bl_evlog_free(&log);
}

static void test_evlog_oom(void **state)
{
        struct bl_evlog log;
        struct bl_event ev[100];

        (void)state;
        memset(ev, 0, sizeof(ev));
        bl_alloc_fail_after(1);
        assert_int_equal(bl_evlog_init(&log), BL_ENOMEM);
        assert_null(log.ev);
        bl_evlog_free(&log);

        assert_int_equal(bl_evlog_init(&log), 0);
        for (int i = 0; i < 64; i++) /* the initial capacity: no allocation */
                assert_int_equal(bl_evlog_add(&log, i, 0, BL_EV_CRASH, i, 0), 0);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_evlog_add(&log, 64, 0, BL_EV_CRASH, 64, 0), BL_ENOMEM);
        assert_int_equal(bl_evlog_count(&log), 64);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_evlog_append(&log, ev, 100), BL_ENOMEM);
        assert_int_equal(bl_evlog_count(&log), 64);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_evlog_sort(&log), BL_ENOMEM);
        bl_alloc_fail_after(0);
        for (int i = 0; i < 64; i++)
                assert_int_equal(bl_evlog_get(&log, i)->a, i);
        assert_int_equal(bl_evlog_add(&log, 64, 0, BL_EV_CRASH, 64, 0), 0);
        assert_int_equal(bl_evlog_count(&log), 65);
        bl_evlog_free(&log);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_chist_buckets),
            cmocka_unit_test(test_chist_percentiles),
            cmocka_unit_test(test_series_init_args),
            cmocka_unit_test(test_series_intervals),
            cmocka_unit_test(test_series_grows),
            cmocka_unit_test(test_series_growth_zeroes),
            cmocka_unit_test(test_series_p99_per_interval),
            cmocka_unit_test(test_series_oom),
            cmocka_unit_test(test_evlog_grows_in_order),
            cmocka_unit_test(test_evlog_append_sort),
            cmocka_unit_test(test_evlog_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
