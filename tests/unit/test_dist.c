/* Unit tests for the key distributions (src/load/dist.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/rng.h"
#include "load/dist.h"

#define DRAWS 1000000

static double rel_err(double got, double want)
{
        return fabs(got - want) / want;
}

static void assert_rel(double got, double want, double tol)
{
        if (rel_err(got, want) > tol)
                fail_msg("got %.6g, want %.6g (error %.2f%% > %.2f%%)", got, want,
                         100.0 * rel_err(got, want), 100.0 * tol);
}

/* Histogram of DRAWS draws over [0, n); calloc'd, caller frees. */
static uint32_t *histogram(struct bl_keygen *g, uint64_t n, uint64_t seed)
{
        uint32_t *cnt = calloc(n, sizeof(*cnt));
        struct bl_rng r;

        assert_non_null(cnt);
        bl_rng_seed(&r, seed, 0);
        for (int i = 0; i < DRAWS; i++) {
                uint64_t k = bl_keygen_next(g, &r);

                if (k >= n)
                        fail_msg("key %llu outside [0, %llu)", (unsigned long long)k,
                                 (unsigned long long)n);
                cnt[k]++;
        }
        return cnt;
}

static double zipf_p(uint64_t rank, uint64_t n, double theta)
{
        return pow((double)(rank + 1), -theta) / bl_zeta(n, theta);
}

static void test_zeta(void **state)
{
        double direct = 0.0;

        (void)state;
        assert_true(bl_zeta(0, 0.99) == 0.0);
        assert_true(bl_zeta(1, 0.99) == 1.0);
        assert_rel(bl_zeta(2, 0.5), 1.0 + 1.0 / sqrt(2.0), 1e-15);
        /* YCSB's precomputed constant for 10^10 items */
        assert_rel(bl_zeta(BL_ZIPF_SCRAMBLE_ITEMS, 0.99), BL_ZIPF_SCRAMBLE_ZETAN, 1e-9);
        /* the Euler-Maclaurin tail matches the plain sum */
        for (double theta = 0.1; theta < 1.0; theta += 0.2) {
                direct = 0.0;
                for (uint64_t i = 200000; i >= 1; i--)
                        direct += pow((double)i, -theta);
                assert_rel(bl_zeta(200000, theta), direct, 1e-12);
        }
        direct = 0.0;
        for (uint64_t i = 200000; i >= 1; i--)
                direct += pow((double)i, -0.9999);
        assert_rel(bl_zeta(200000, 0.9999), direct, 1e-12);
}

static void test_params(void **state)
{
        struct bl_zipf_params p;
        struct bl_keygen g;

        (void)state;
        assert_int_equal(bl_zipf_params_init(&p, 0, 0.99), BL_EINVAL);
        assert_int_equal(bl_zipf_params_init(&p, 10, 0.0), BL_EINVAL);
        assert_int_equal(bl_zipf_params_init(&p, 10, 1.0), BL_EINVAL);
        assert_int_equal(bl_zipf_params_init(&p, 10, 1.5), BL_EINVAL);
        assert_int_equal(bl_zipf_params_init(&p, 10, NAN), BL_EINVAL);
        assert_int_equal(bl_zipf_params_init(&p, 10, 0.99), 0);
        assert_int_equal(bl_keygen_uniform(&g, 0), BL_EINVAL);
        assert_int_equal(bl_keygen_scrambled(&g, 10, 1.0), BL_EINVAL);
        assert_int_equal(bl_keygen_latest(&g, 0, 0.5), BL_EINVAL);
        assert_int_equal(bl_keygen_hotspot(&g, 10, 1.1, 0.5), BL_EINVAL);
        assert_int_equal(bl_keygen_hotspot(&g, 10, 0.5, -0.1), BL_EINVAL);
        assert_int_equal(bl_keygen_from_params(&g, BL_KG_HOTSPOT, &p), BL_EINVAL);
}

static void test_fnv(void **state)
{
        (void)state;
        /* FNV-1a 64 of 8 bytes, reference values computed independently */
        assert_int_equal(bl_fnv1a64(0), 0xa8c7f832281a39c5ULL);
        assert_int_equal(bl_fnv1a64(1), 0x89cd31291d2aefa4ULL);
}

static void test_uniform_chi_square(void **state)
{
        const uint64_t n = 100;
        struct bl_keygen g;
        uint32_t *cnt;
        double chi2 = 0.0, e = (double)DRAWS / (double)n;

        (void)state;
        assert_int_equal(bl_keygen_uniform(&g, n), 0);
        cnt = histogram(&g, n, 1);
        for (uint64_t i = 0; i < n; i++)
                chi2 += ((double)cnt[i] - e) * ((double)cnt[i] - e) / e;
        /* 99 degrees of freedom: P(chi2 > 148) ~ 0.001 */
        if (chi2 > 148.0)
                fail_msg("chi-square %.1f over 99 df", chi2);
        free(cnt);
}

/* Gray's method is exact for ranks 0 and 1, approximate above (ranks 2-9
 * come out up to ~17% heavy at theta 0.99, as in YCSB), close again beyond. */
static void check_zipf_ranks(const uint32_t *cnt, uint64_t n, double theta)
{
        double cum = 0.0, want_cum = 0.0;

        for (uint64_t i = 0; i < 20; i++)
                assert_rel(cnt[i] / (double)DRAWS, zipf_p(i, n, theta),
                           i < 2    ? 0.03
                           : i < 10 ? 0.20
                                    : 0.06);
        for (uint64_t i = 0; i < 100; i++) {
                cum += cnt[i];
                want_cum += zipf_p(i, n, theta) * DRAWS;
        }
        assert_rel(cum, want_cum, 0.05);
        /* popularity decreases with rank */
        assert_true(cnt[0] > cnt[1] && cnt[1] > cnt[3] && cnt[3] > cnt[20]);
}

static void test_zipfian_ranks(void **state)
{
        const uint64_t n = 1000;
        struct bl_keygen g;
        uint32_t *cnt;

        (void)state;
        assert_int_equal(bl_keygen_zipfian(&g, n, 0.99), 0);
        cnt = histogram(&g, n, 2);
        check_zipf_ranks(cnt, n, 0.99);
        free(cnt);

        assert_int_equal(bl_keygen_zipfian(&g, n, 0.5), 0);
        cnt = histogram(&g, n, 3);
        check_zipf_ranks(cnt, n, 0.5);
        free(cnt);
}

static void test_zipfian_small_n(void **state)
{
        struct bl_keygen g;
        struct bl_rng r;
        uint32_t c2[2] = {0};

        (void)state;
        bl_rng_seed(&r, 4, 0);
        assert_int_equal(bl_keygen_zipfian(&g, 1, 0.99), 0);
        for (int i = 0; i < 1000; i++)
                assert_int_equal(bl_keygen_next(&g, &r), 0);
        assert_int_equal(bl_keygen_zipfian(&g, 2, 0.99), 0);
        for (int i = 0; i < 100000; i++)
                c2[bl_keygen_next(&g, &r)]++;
        assert_rel(c2[0] / 100000.0, 1.0 / (1.0 + pow(2.0, -0.99)), 0.02);
}

static void test_zipfian_growth(void **state)
{
        struct bl_zipf_params p, fresh;
        struct bl_zipf z;
        struct bl_rng r;

        (void)state;
        bl_rng_seed(&r, 5, 0);
        assert_int_equal(bl_zipf_params_init(&p, 1000, 0.99), 0);
        bl_zipf_init(&z, &p);
        /* one at a time, then a jump, then a shrink: zeta tracks n */
        for (uint64_t n = 1001; n <= 3000; n++)
                assert_true(bl_zipf_next_n(&z, &r, n) < n);
        assert_int_equal(bl_zipf_params_init(&fresh, 3000, 0.99), 0);
        assert_rel(z.p.zetan, fresh.zetan, 1e-12);
        assert_rel(z.p.eta, fresh.eta, 1e-10);
        bl_zipf_next_n(&z, &r, 5000000);
        assert_int_equal(bl_zipf_params_init(&fresh, 5000000, 0.99), 0);
        assert_rel(z.p.zetan, fresh.zetan, 1e-12);
        bl_zipf_next_n(&z, &r, 10);
        assert_int_equal(bl_zipf_params_init(&fresh, 10, 0.99), 0);
        assert_rel(z.p.zetan, fresh.zetan, 1e-15);
        /* the shared params were copied, not changed */
        assert_int_equal(p.n, 1000);
}

static void test_shared_params(void **state)
{
        struct bl_zipf_params p;
        struct bl_keygen a, b;
        struct bl_rng ra, rb;

        (void)state;
        assert_int_equal(bl_zipf_params_init(&p, 100000, 0.99), 0);
        assert_int_equal(bl_keygen_from_params(&a, BL_KG_ZIPFIAN, &p), 0);
        assert_int_equal(bl_keygen_zipfian(&b, 100000, 0.99), 0);
        bl_rng_seed(&ra, 6, 1);
        bl_rng_seed(&rb, 6, 1);
        for (int i = 0; i < 10000; i++)
                assert_int_equal(bl_keygen_next(&a, &ra), bl_keygen_next(&b, &rb));
}

static int cmp_desc(const void *x, const void *y)
{
        uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;

        return (a < b) - (a > b);
}

static void test_scrambled(void **state)
{
        const uint64_t n = 10000;
        struct bl_keygen g;
        uint32_t *cnt, *sorted;
        double top = 0.0, want_top = 0.0;
        uint64_t lo = n, hi = 0;

        (void)state;
        assert_int_equal(bl_keygen_scrambled(&g, n, 0.99), 0);
        cnt = histogram(&g, n, 7);
        /* The hottest key is the hash of rank 0, with rank 0's share of a
         * zipfian over 10^10 items (plus its share of the tail). */
        assert_rel(cnt[bl_fnv1a64(0) % n] / (double)DRAWS, 1.0 / BL_ZIPF_SCRAMBLE_ZETAN, 0.05);
        /* The 10 hottest keys carry about the mass of ranks 0-9 ... */
        sorted = malloc(n * sizeof(*sorted));
        assert_non_null(sorted);
        memcpy(sorted, cnt, n * sizeof(*sorted));
        qsort(sorted, n, sizeof(*sorted), cmp_desc);
        for (int i = 0; i < 10; i++) {
                top += sorted[i];
                want_top += DRAWS * pow(i + 1.0, -0.99) / BL_ZIPF_SCRAMBLE_ZETAN;
        }
        assert_rel(top, want_top, 0.2);
        /* ... and the skew is real: far above uniform's 10 / n */
        assert_true(top / DRAWS > 50.0 * 10 / (double)n);
        /* ... but they are spread over the key space, not at its low end */
        for (uint64_t i = 0; i < 10; i++) {
                uint64_t k = bl_fnv1a64(i) % n;

                assert_true(cnt[k] >= sorted[40]);
                lo = k < lo ? k : lo;
                hi = k > hi ? k : hi;
        }
        assert_true(hi - lo > n / 2);
        free(sorted);
        free(cnt);

        /* another theta computes its own zeta */
        assert_int_equal(bl_keygen_scrambled(&g, n, 0.8), 0);
        assert_rel(g.z.p.zetan, bl_zeta(BL_ZIPF_SCRAMBLE_ITEMS, 0.8), 1e-15);
}

static void test_latest(void **state)
{
        const uint64_t n = 1000;
        struct bl_keygen g;
        struct bl_rng r;
        uint32_t *cnt;
        uint64_t newer = 0;

        (void)state;
        assert_int_equal(bl_keygen_latest(&g, n, 0.99), 0);
        cnt = histogram(&g, n, 8);
        /* key n-1-i has zipfian rank i */
        for (uint64_t i = 0; i < 2; i++)
                assert_rel(cnt[n - 1 - i] / (double)DRAWS, zipf_p(i, n, 0.99), 0.03);
        assert_true(cnt[n - 1] > cnt[n - 2] && cnt[n - 2] > cnt[n - 10] && cnt[n - 10] > cnt[0]);
        free(cnt);

        /* the key space grows: the newest keys take over */
        bl_keygen_set_n(&g, 2 * n);
        bl_rng_seed(&r, 9, 0);
        for (int i = 0; i < 100000; i++) {
                uint64_t k = bl_keygen_next(&g, &r);

                assert_true(k < 2 * n);
                newer += k >= n;
        }
        /* P(rank < 1000 of 2000) = zeta(1000) / zeta(2000) ~ 0.93 */
        assert_rel(newer / 100000.0, bl_zeta(n, 0.99) / bl_zeta(2 * n, 0.99), 0.02);
}

static void test_hotspot(void **state)
{
        const uint64_t n = 1000;
        struct bl_keygen g;
        uint32_t *cnt;
        uint64_t hot = 0;

        (void)state;
        assert_int_equal(bl_keygen_hotspot(&g, n, 0.2, 0.8), 0);
        cnt = histogram(&g, n, 10);
        for (uint64_t i = 0; i < 200; i++)
                hot += cnt[i];
        assert_rel(hot / (double)DRAWS, 0.8, 0.01);
        /* uniform inside each set: 4000 per hot key, 250 per cold key */
        for (uint64_t i = 0; i < n; i++)
                assert_rel(cnt[i], i < 200 ? 4000.0 : 250.0, i < 200 ? 0.1 : 0.3);
        free(cnt);

        /* empty hot set: everything cold; op fraction 1: everything hot */
        assert_int_equal(bl_keygen_hotspot(&g, n, 0.0, 0.8), 0);
        cnt = histogram(&g, n, 11);
        assert_true(cnt[0] > 0 && cnt[n - 1] > 0);
        free(cnt);
        assert_int_equal(bl_keygen_hotspot(&g, n, 0.1, 1.0), 0);
        cnt = histogram(&g, n, 12);
        for (uint64_t i = 100; i < n; i++)
                assert_int_equal(cnt[i], 0);
        free(cnt);
        /* rescaled with n */
        bl_keygen_set_n(&g, 10 * n);
        assert_int_equal(g.hot_n, n);
}

static void test_determinism(void **state)
{
        struct bl_keygen a, b;
        struct bl_rng ra, rb, rc;
        int differ = 0;

        (void)state;
        assert_int_equal(bl_keygen_scrambled(&a, 123456, 0.99), 0);
        b = a;
        bl_rng_seed(&ra, 77, 3);
        bl_rng_seed(&rb, 77, 3);
        bl_rng_seed(&rc, 77, 4);
        for (int i = 0; i < 1000; i++) {
                uint64_t x = bl_keygen_next(&a, &ra);

                assert_int_equal(x, bl_keygen_next(&b, &rb));
                differ += x != bl_keygen_next(&b, &rc);
        }
        assert_true(differ > 500);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_zeta),
            cmocka_unit_test(test_params),
            cmocka_unit_test(test_fnv),
            cmocka_unit_test(test_uniform_chi_square),
            cmocka_unit_test(test_zipfian_ranks),
            cmocka_unit_test(test_zipfian_small_n),
            cmocka_unit_test(test_zipfian_growth),
            cmocka_unit_test(test_shared_params),
            cmocka_unit_test(test_scrambled),
            cmocka_unit_test(test_latest),
            cmocka_unit_test(test_hotspot),
            cmocka_unit_test(test_determinism),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
