/* Unit tests of the one number grammar (common/number.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "common/number.h"

static void test_integers(void **state)
{
        int64_t i = 7;
        uint64_t u = 7;

        (void)state;
        assert_int_equal(bl_parse_i64("42", &i), BL_NUM_OK);
        assert_true(i == 42);
        assert_int_equal(bl_parse_i64("-42", &i), BL_NUM_OK);
        assert_true(i == -42);
        assert_int_equal(bl_parse_i64("+3", &i), BL_NUM_OK);
        assert_true(i == 3);
        assert_int_equal(bl_parse_u64("18446744073709551615", &u), BL_NUM_OK);
        assert_true(u == UINT64_MAX);
        assert_int_equal(bl_parse_u64("18446744073709551616", &u), BL_NUM_RANGE);
        assert_int_equal(bl_parse_i64("9223372036854775808", &i), BL_NUM_RANGE);
        /* Not decimal integers: nothing stored. */
        i = 7;
        u = 7;
        static const char *const bad[] = {"",  " 3", "3 ",  "0x3", "0X3", "3.0", "1e3", "+",
                                          "-", "3a", "inf", "nan", "--3", "+-3", "\t3", "3\n"};
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
                assert_int_equal(bl_parse_i64(bad[k], &i), BL_NUM_SYNTAX);
                assert_int_equal(bl_parse_u64(bad[k], &u), BL_NUM_SYNTAX);
        }
        assert_int_equal(bl_parse_u64("-1", &u), BL_NUM_SYNTAX);
        assert_true(i == 7 && u == 7);
        assert_int_equal(bl_parse_i64(NULL, &i), BL_NUM_SYNTAX);
}

static void test_doubles(void **state)
{
        double v = 7;

        (void)state;
        assert_int_equal(bl_parse_double("2.5", &v), BL_NUM_OK);
        assert_true(v == 2.5);
        assert_int_equal(bl_parse_double(".5", &v), BL_NUM_OK);
        assert_true(v == 0.5);
        assert_int_equal(bl_parse_double("5.", &v), BL_NUM_OK);
        assert_true(v == 5.0);
        assert_int_equal(bl_parse_double("-1e-3", &v), BL_NUM_OK);
        assert_true(v == -1e-3);
        assert_int_equal(bl_parse_double("16", &v), BL_NUM_OK);
        assert_true(v == 16.0);
        assert_int_equal(bl_parse_double("1E+2", &v), BL_NUM_OK);
        assert_true(v == 100.0);
        assert_int_equal(bl_parse_double("1e-400", &v), BL_NUM_OK); /* underflow: ~0 */
        assert_true(fabs(v) < 1e-300);
        assert_int_equal(bl_parse_double("1e400", &v), BL_NUM_RANGE);
        v = 7;
        /* What strtod accepts and ballot does not: hex, inf, nan, blanks. */
        static const char *const bad[] = {"0x10", "0x1p3", "inf",   "-inf", "infinity", "nan",
                                          "NAN",  " 1",    "1 ",    "",     ".",        "e3",
                                          "1e",   "1e+",   "1.2.3", "1,5",  "--1",      "1e3.5"};
        for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
                if (bl_parse_double(bad[k], &v) != BL_NUM_SYNTAX)
                        fail_msg("\"%s\" was accepted", bad[k]);
        assert_true(v == 7);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_integers),
            cmocka_unit_test(test_doubles),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
