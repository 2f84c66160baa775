/* Unit tests of the linear clock-drift correction (common/clockfit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/clockfit.h"

#define S(t, o, e) ((struct bl_clock_sample){.t_local = (t), .offset_ns = (o), .err_ns = (e)})

/* A clock 50 ppm slow against rank 0's: over 10 s the offset grows by
 * 500 us. The fit recovers the drift and interpolates between the two. */
static void test_linear_drift(void **state)
{
        struct bl_clock_fit fit;

        (void)state;
        bl_clock_fit_make(&fit, S(1000000000, 7000, 10), S(11000000000, 507000, 20), NULL, 0);
        assert_true(fit.drift_ppm > 49.999 && fit.drift_ppm < 50.001);
        assert_int_equal(fit.err_ns, 20); /* the larger bound, no residual */
        assert_int_equal(bl_clock_fit_offset(&fit, 1000000000), 7000);
        assert_int_equal(bl_clock_fit_offset(&fit, 11000000000), 507000);
        assert_int_equal(bl_clock_fit_offset(&fit, 6000000000), 257000);
        /* Extrapolated on both sides. */
        assert_int_equal(bl_clock_fit_offset(&fit, 0), -43000);
        assert_int_equal(bl_clock_fit_offset(&fit, 12000000000), 557000);
}

/* Times since the start were taken with the first offset: the correction
 * adds only the drift since the first estimate. */
static void test_rel_correction(void **state)
{
        struct bl_clock_fit fit;
        uint64_t t0 = 2000000000; /* the start, on this rank's clock, after t_a */

        (void)state;
        bl_clock_fit_make(&fit, S(1000000000, 7000, 10), S(11000000000, 507000, 20), NULL, 0);
        /* At the start the drift since t_a is 1 s * 50 ppm = 50 us. */
        assert_int_equal(bl_clock_fit_rel(&fit, t0, 0), 50000);
        assert_int_equal(bl_clock_fit_rel(&fit, t0, 4000000000), 4000000000 + 250000);
        /* A clock running fast (negative drift) cannot push a time below 0. */
        bl_clock_fit_make(&fit, S(1000000000, 0, 10), S(2000000000, -1000000, 10), NULL, 0);
        assert_int_equal(bl_clock_fit_rel(&fit, 1500000000, 0), 0);
        assert_int_equal(bl_clock_fit_rel(&fit, 1000000000, 3000000), 3000000 - 3000);
}

/* Without a usable second estimate the offset is the first, constant. */
static void test_no_second_estimate(void **state)
{
        struct bl_clock_fit fit;

        (void)state;
        bl_clock_fit_make(&fit, S(5000, -300, 40), S(0, 0, 0), NULL, 0);
        assert_true(fit.drift_ppm == 0);
        assert_int_equal(fit.err_ns, 40);
        assert_int_equal(bl_clock_fit_offset(&fit, 99999999), -300);
        assert_int_equal(bl_clock_fit_rel(&fit, 10000, 123), 123);
}

/* Exchanges that agree with the line within their own bound add nothing;
 * one that strays from it (a clock step) widens the bound by how far it
 * strays beyond its own error. */
static void test_residual(void **state)
{
        struct bl_clock_fit fit;
        struct bl_clock_sample a = S(1000, 0, 10), b = S(1001000, 1000, 10);
        struct bl_clock_sample agree[] = {a, b, S(2000, 5, 10), S(1000500, 990, 30)};
        struct bl_clock_sample stray[] = {a, b, S(2000, 5, 10), S(3000, 500, 100)};

        (void)state;
        bl_clock_fit_make(&fit, a, b, agree, 4);
        assert_int_equal(fit.err_ns, 10);
        /* At t = 3000 the line gives 2; the exchange says 500 +- 100. */
        bl_clock_fit_make(&fit, a, b, stray, 4);
        assert_int_equal(fit.err_ns, 10 + (500 - 2 - 100));
}

/* The estimate is the exchange with the smallest error. */
static void test_best(void **state)
{
        struct bl_clock_sample s[] = {S(1, 10, 50), S(2, 20, 5), S(3, 30, 7)};
        struct bl_clock_sample b;

        (void)state;
        b = bl_clock_best(s, 3);
        assert_int_equal(b.t_local, 2);
        assert_int_equal(b.offset_ns, 20);
        b = bl_clock_best(s, 0);
        assert_int_equal(b.t_local, 0);
        assert_int_equal(b.err_ns, 0);
}

/* Offsets between unrelated monotonic clocks may be huge (days); the
 * interpolation must not overflow. */
static void test_large_values(void **state)
{
        struct bl_clock_fit fit;
        int64_t big = 86400LL * 1000000000LL * 30; /* 30 days */

        (void)state;
        bl_clock_fit_make(&fit, S(1000000000000ULL, big, 100),
                          S(1600000000000ULL, big + 60000000, 100), NULL, 0); /* 100 ppm */
        assert_true(fit.drift_ppm > 99.99 && fit.drift_ppm < 100.01);
        assert_int_equal(bl_clock_fit_offset(&fit, 1300000000000ULL), big + 30000000);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_linear_drift),
            cmocka_unit_test(test_rel_correction),
            cmocka_unit_test(test_no_second_estimate),
            cmocka_unit_test(test_residual),
            cmocka_unit_test(test_best),
            cmocka_unit_test(test_large_values),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
