/* Unit tests for the latency histogram (src/metrics/hist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/rng.h"
#include "metrics/hist.h"

#define LOW_NS  100ULL
#define HIGH_NS 100000000000ULL /* 100 s */
#define MAX_REL 0.01

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

        return a < b ? -1 : a > b;
}

static double rel_err(double got, double want)
{
        return fabs(got - want) / want;
}

/* Fail unless got is within MAX_REL of want (want > 0). */
static void assert_within_1pct(double got, double want)
{
        if (want == 0.0) {
                assert_true(got == 0.0);
                return;
        }
        if (rel_err(got, want) > MAX_REL)
                fail_msg("got %.3f, want %.3f (error %.4f%%)", got, want,
                         100.0 * rel_err(got, want));
}

static uint64_t log_uniform(struct bl_rng *r, uint64_t lo, uint64_t hi)
{
        double x = log((double)lo) + bl_rng_double(r) * (log((double)hi) - log((double)lo));
        uint64_t v = (uint64_t)exp(x);

        return v < lo ? lo : v > hi ? hi : v;
}

static struct bl_hist *new_hist(void)
{
        struct bl_hist *h = malloc(sizeof(*h));

        assert_non_null(h);
        bl_hist_init(h);
        return h;
}

static void test_layout_is_modest(void **state)
{
        (void)state;
        assert_true(BL_HIST_BUCKETS < 2500);
        /* The whole required range is bucketed, not clamped into the last bucket. */
        assert_true(bl_hist_bucket_of(HIGH_NS) < BL_HIST_BUCKETS - 1);
        assert_true(bl_hist_bucket_high(BL_HIST_BUCKETS - 1) > HIGH_NS);
}

/* Buckets tile [0, 2^37) without gaps, bucket_of agrees with the bounds, and
 * the representative value is within 1% of any value in a bucket of the range. */
static void test_buckets_tile_and_representative(void **state)
{
        struct bl_rng r;

        (void)state;
        bl_rng_seed(&r, 42, 0);
        assert_int_equal(bl_hist_bucket_low(0), 0);
        for (int i = 0; i < BL_HIST_BUCKETS; i++) {
                uint64_t lo = bl_hist_bucket_low(i), hi = bl_hist_bucket_high(i);

                assert_true(lo < hi);
                if (i + 1 < BL_HIST_BUCKETS)
                        assert_int_equal(hi, bl_hist_bucket_low(i + 1));
                assert_int_equal(bl_hist_bucket_of(lo), i);
                assert_int_equal(bl_hist_bucket_of(hi - 1), i);
                if (hi <= LOW_NS)
                        continue;
                /* Every value of the bucket that lies in the range. */
                uint64_t first = lo < LOW_NS ? LOW_NS : lo;
                double rep = bl_hist_bucket_value(i);

                assert_within_1pct(rep, (double)first);
                assert_within_1pct(rep, (double)(hi - 1));
                for (int k = 0; k < 8; k++) {
                        uint64_t v = first + bl_rng_below(&r, hi - first);

                        assert_int_equal(bl_hist_bucket_of(v), i);
                        assert_within_1pct(rep, (double)v);
                }
        }
        assert_int_equal(bl_hist_bucket_low(-1), 0);
        assert_int_equal(bl_hist_bucket_high(BL_HIST_BUCKETS), 0);
}

static void test_rank(void **state)
{
        (void)state;
        assert_int_equal(bl_hist_rank(50, 0), 0);
        assert_int_equal(bl_hist_rank(0, 10), 1);
        assert_int_equal(bl_hist_rank(-3, 10), 1);
        assert_int_equal(bl_hist_rank(100, 10), 10);
        assert_int_equal(bl_hist_rank(250, 10), 10);
        assert_int_equal(bl_hist_rank(50, 1000), 500);
        assert_int_equal(bl_hist_rank(50, 1001), 501);
        assert_int_equal(bl_hist_rank(99.9, 1000), 999);
        assert_int_equal(bl_hist_rank(99.99, 10000), 9999);
        assert_int_equal(bl_hist_rank(0.1, 1000), 1);
        assert_int_equal(bl_hist_rank(0.1, 1001), 2);
        assert_int_equal(bl_hist_rank(NAN, 10), 0);
}

/* Check every percentile (step 0.05) of the data against the exact value. */
static void check_all_percentiles(uint64_t *v, size_t n)
{
        struct bl_hist *h = new_hist();

        for (size_t i = 0; i < n; i++)
                bl_hist_record(h, v[i]);
        qsort(v, n, sizeof(*v), cmp_u64);
        assert_int_equal(h->total, n);
        for (int step = 0; step <= 2000; step++) {
                double q = step * 0.05;
                uint64_t want = v[bl_hist_rank(q, n) - 1];

                assert_within_1pct(bl_hist_percentile(h, q), (double)want);
        }
        assert_within_1pct(bl_hist_percentile(h, 99.99), (double)v[bl_hist_rank(99.99, n) - 1]);
        assert_true(bl_hist_percentile(h, 0) == (double)v[0]);
        assert_true(bl_hist_percentile(h, 100) == (double)v[n - 1]);
        free(h);
}

static void test_percentiles_log_uniform(void **state)
{
        enum { N = 20000 };
        uint64_t *v = malloc(N * sizeof(*v));
        struct bl_rng r;

        (void)state;
        assert_non_null(v);
        for (uint64_t seed = 1; seed <= 5; seed++) {
                size_t n = seed == 5 ? 7 : N; /* one tiny set: ranks matter */

                bl_rng_seed(&r, seed, 7);
                for (size_t i = 0; i < n; i++)
                        v[i] = log_uniform(&r, LOW_NS, HIGH_NS);
                check_all_percentiles(v, n);
        }
        free(v);
}

/* Many values per bucket and narrow spread: the bucket choice is tested, not just the range. */
static void test_percentiles_narrow(void **state)
{
        enum { N = 20000 };
        uint64_t *v = malloc(N * sizeof(*v));
        struct bl_rng r;

        (void)state;
        assert_non_null(v);
        bl_rng_seed(&r, 99, 0);
        for (size_t i = 0; i < N; i++)
                v[i] = 1000 + bl_rng_below(&r, 100) + (i % 17 == 0 ? 50000000 : 0);
        check_all_percentiles(v, N);
        free(v);
}

/* Uniform 1..1000 us: percentiles land where the distribution says. */
static void test_uniform_known(void **state)
{
        struct bl_hist *h = new_hist();

        (void)state;
        for (uint64_t us = 1; us <= 1000; us++)
                bl_hist_record(h, us * 1000);
        assert_within_1pct(bl_hist_percentile(h, 50), 500e3);
        assert_within_1pct(bl_hist_percentile(h, 90), 900e3);
        assert_within_1pct(bl_hist_percentile(h, 99), 990e3);
        assert_within_1pct(bl_hist_percentile(h, 99.9), 999e3);
        assert_within_1pct(bl_hist_percentile(h, 10), 100e3);
        assert_true(bl_hist_percentile(h, 100) == 1000e3);
        assert_true(bl_hist_percentile(h, 0) == 1e3);
        assert_true(bl_hist_mean(h) == 500.5e3);
        free(h);
}

static void test_merge_equals_single(void **state)
{
        struct bl_hist *a = new_hist(), *b = new_hist(), *all = new_hist();
        struct bl_hist *copy = new_hist();
        struct bl_rng r;

        (void)state;
        bl_rng_seed(&r, 5, 5);
        for (int i = 0; i < 30000; i++) {
                /* b only gets small values: min and max each come from one side */
                uint64_t v = log_uniform(&r, LOW_NS, i % 3 ? HIGH_NS : 5000);

                bl_hist_record(i % 3 ? a : b, v);
                bl_hist_record(all, v);
        }
        /* Integer sums below 2^53 are exact in double, so the structs match bit for bit. */
        bl_hist_merge(a, b);
        assert_memory_equal(a, all, sizeof(*a));
        /* Merging an empty histogram changes nothing; into an empty one copies. */
        bl_hist_init(b);
        bl_hist_merge(a, b);
        assert_memory_equal(a, all, sizeof(*a));
        bl_hist_init(copy);
        bl_hist_merge(copy, all);
        assert_memory_equal(copy, all, sizeof(*a));
        free(a);
        free(b);
        free(all);
        free(copy);
}

static void test_min_max_mean_exact(void **state)
{
        struct bl_hist *h = new_hist();
        uint64_t vals[] = {123457, 99999999999ULL, 101, 7777777, 31415926};
        double sum = 0;

        (void)state;
        for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
                bl_hist_record(h, vals[i]);
                sum += (double)vals[i];
        }
        assert_int_equal(h->total, 5);
        assert_int_equal(h->min_ns, 101);
        assert_int_equal(h->max_ns, 99999999999ULL);
        assert_true(bl_hist_mean(h) == sum / 5);
        assert_true(bl_hist_percentile(h, 0) == 101.0);
        assert_true(bl_hist_percentile(h, 100) == 99999999999.0);
        /* the single value in its bucket: clamping makes it exact at both ends */
        bl_hist_init(h);
        bl_hist_record(h, 123457);
        assert_true(bl_hist_percentile(h, 50) == 123457.0);
        free(h);
}

static void test_empty(void **state)
{
        struct bl_hist *h = new_hist();

        (void)state;
        assert_int_equal(h->total, 0);
        assert_int_equal(h->min_ns, UINT64_MAX);
        assert_int_equal(h->max_ns, 0);
        assert_true(bl_hist_percentile(h, 0) == 0.0);
        assert_true(bl_hist_percentile(h, 50) == 0.0);
        assert_true(bl_hist_percentile(h, 100) == 0.0);
        assert_true(bl_hist_mean(h) == 0.0);
        for (int i = 0; i < BL_HIST_BUCKETS; i++)
                assert_int_equal(h->counts[i], 0);
        free(h);
}

static void test_out_of_range(void **state)
{
        struct bl_hist *h = new_hist();

        (void)state;
        bl_hist_record(h, 0);
        bl_hist_record(h, 3);
        bl_hist_record(h, 200000000000ULL); /* 200 s */
        bl_hist_record(h, UINT64_MAX);
        assert_int_equal(h->total, 4);
        assert_int_equal(h->counts[0], 1);
        assert_int_equal(h->counts[3], 1); /* exact below 64 ns */
        assert_int_equal(h->counts[BL_HIST_BUCKETS - 1], 2);
        assert_int_equal(bl_hist_bucket_of(UINT64_MAX), BL_HIST_BUCKETS - 1);
        assert_int_equal(h->min_ns, 0);
        assert_int_equal(h->max_ns, UINT64_MAX);
        assert_true(bl_hist_percentile(h, 0) == 0.0);
        assert_true(bl_hist_percentile(h, 25) == 0.0);
        assert_true(bl_hist_percentile(h, 50) == 3.0);
        assert_true(bl_hist_percentile(h, 100) == (double)UINT64_MAX);
        /* p75 lands in the overflow bucket: its midpoint, below the exact max */
        assert_true(bl_hist_percentile(h, 75) == bl_hist_bucket_value(BL_HIST_BUCKETS - 1));
        free(h);
}

/* total directly follows counts, so one MPI_SUM of BL_HIST_SUM_WORDS covers both. */
/* Recording a value n times at once equals n single records. */
static void test_record_n_equals_repeats(void **state)
{
        struct bl_hist a, b;

        (void)state;
        bl_hist_init(&a);
        bl_hist_init(&b);
        bl_hist_record_n(&a, 123456, 0);
        assert_int_equal(a.total, 0);
        assert_int_equal(a.min_ns, UINT64_MAX);
        bl_hist_record_n(&a, 1500000000ull, 1000);
        bl_hist_record_n(&a, 2000, 3);
        for (int i = 0; i < 1000; i++)
                bl_hist_record(&b, 1500000000ull);
        for (int i = 0; i < 3; i++)
                bl_hist_record(&b, 2000);
        assert_memory_equal(a.counts, b.counts, sizeof(a.counts));
        assert_int_equal(a.total, 1003);
        assert_int_equal(a.min_ns, 2000);
        assert_int_equal(a.max_ns, 1500000000ull);
        assert_true(a.sum_ns == b.sum_ns);
        assert_true(bl_hist_percentile(&a, 99) == bl_hist_percentile(&b, 99));
}

static void test_sum_words_layout(void **state)
{
        struct bl_hist *h = new_hist();
        uint64_t words[BL_HIST_SUM_WORDS];

        (void)state;
        bl_hist_record(h, 1000);
        bl_hist_record(h, 2000);
        memcpy(words, h->counts, sizeof(words));
        assert_int_equal(words[BL_HIST_BUCKETS], 2);
        free(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_layout_is_modest),
            cmocka_unit_test(test_buckets_tile_and_representative),
            cmocka_unit_test(test_rank),
            cmocka_unit_test(test_percentiles_log_uniform),
            cmocka_unit_test(test_percentiles_narrow),
            cmocka_unit_test(test_uniform_known),
            cmocka_unit_test(test_merge_equals_single),
            cmocka_unit_test(test_min_max_mean_exact),
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_out_of_range),
            cmocka_unit_test(test_sum_words_layout),
            cmocka_unit_test(test_record_n_equals_repeats),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
