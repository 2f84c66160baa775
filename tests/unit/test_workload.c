/* Unit tests for the workload generators (src/load/workload.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "config/config.h"
#include "load/dist.h"
#include "load/workload.h"
#include "store/cmd.h"

#define RECORDS 10000
#define OPS     100000

/* The fields a workload reads, at the option table's defaults. */
static struct bl_config make_cfg(enum bl_workload_type type)
{
        struct bl_config cfg;

        memset(&cfg, 0, sizeof(cfg));
        cfg.experiment.seed = 42;
        cfg.store.records = RECORDS;
        cfg.store.value_size = 100;
        cfg.workload.type = type;
        cfg.workload.distribution = BL_DIST_DEFAULT;
        cfg.workload.zipf_constant = 0.99;
        cfg.workload.hotspot_data_fraction = 0.2;
        cfg.workload.hotspot_op_fraction = 0.8;
        cfg.workload.counters = 4;
        return cfg;
}

static void init_ok(struct bl_workload *w, const struct bl_config *cfg, uint32_t s, uint32_t n)
{
        assert_int_equal(bl_workload_init(w, cfg, s, n), 0);
}

static int cmp_u64(const void *x, const void *y)
{
        uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

        return (a > b) - (a < b);
}

/* Run OPS commands; check shape and the read fraction. */
static void check_mix(enum bl_workload_type type, double read_frac, int write_op)
{
        struct bl_config cfg = make_cfg(type);
        struct bl_workload w;
        uint64_t reads = 0;

        init_ok(&w, &cfg, 0, 1);
        for (int i = 0; i < OPS; i++) {
                struct bl_cmd c;

                memset(&c, 0xee, sizeof(c));
                bl_workload_next(&w, &c);
                if (c.op == BL_OP_GET) {
                        reads++;
                        assert_int_equal(c.pad, 0);
                        assert_int_equal(c.value, 0);
                } else {
                        assert_int_equal(c.op, write_op);
                        assert_int_equal(c.pad, 100);
                }
                if (type != BL_WL_YCSB_D) /* D: see test_inserts */
                        assert_true(c.key < RECORDS);
        }
        /* sd of the fraction is at most 0.0016 */
        assert_true(fabs((double)reads / OPS - read_frac) < 0.01);
}

static void test_mix(void **state)
{
        (void)state;
        check_mix(BL_WL_YCSB_A, 0.5, BL_OP_PUT);
        check_mix(BL_WL_YCSB_B, 0.95, BL_OP_PUT);
        check_mix(BL_WL_YCSB_C, 1.0, BL_OP_PUT);
        check_mix(BL_WL_YCSB_D, 0.95, BL_OP_INSERT);
        check_mix(BL_WL_YCSB_F, 0.5, BL_OP_RMW);
}

static void test_counter(void **state)
{
        struct bl_config cfg = make_cfg(BL_WL_COUNTER);
        struct bl_workload w;
        uint64_t per_key[4] = {0};

        (void)state;
        init_ok(&w, &cfg, 3, 5);
        for (int i = 0; i < 40000; i++) {
                struct bl_cmd c;

                bl_workload_next(&w, &c);
                assert_int_equal(c.op, BL_OP_INCR);
                assert_int_equal(c.value, 1);
                assert_true(c.key < 4);
                per_key[c.key]++;
        }
        for (int k = 0; k < 4; k++) /* uniform: 10000 each, sd 87 */
                assert_in_range(per_key[k], 9500, 10500);
}

static void test_determinism(void **state)
{
        struct bl_config cfg = make_cfg(BL_WL_YCSB_A), cfg2 = make_cfg(BL_WL_YCSB_A);
        struct bl_workload a, b, other_session, other_seed;
        int diff_session = 0, diff_seed = 0;

        (void)state;
        cfg2.experiment.seed = 43;
        init_ok(&a, &cfg, 2, 4);
        init_ok(&b, &cfg, 2, 4);
        init_ok(&other_session, &cfg, 3, 4);
        init_ok(&other_seed, &cfg2, 2, 4);
        for (int i = 0; i < 5000; i++) {
                struct bl_cmd ca, cb, cs, cd;

                bl_workload_next(&a, &ca);
                bl_workload_next(&b, &cb);
                bl_workload_next(&other_session, &cs);
                bl_workload_next(&other_seed, &cd);
                assert_int_equal(ca.op, cb.op);
                assert_int_equal(ca.key, cb.key);
                assert_int_equal(ca.value, cb.value);
                assert_int_equal(ca.pad, cb.pad);
                diff_session += ca.op != cs.op || ca.key != cs.key;
                diff_seed += ca.op != cd.op || ca.key != cd.key;
        }
        assert_true(diff_session > 1000);
        assert_true(diff_seed > 1000);
}

static void test_unique_values(void **state)
{
        const uint32_t nsess = 4;
        enum bl_workload_type types[] = {BL_WL_YCSB_A, BL_WL_YCSB_D, BL_WL_YCSB_F};
        uint64_t *vals = malloc(3 * nsess * 20000 * sizeof(*vals));
        size_t n = 0;

        (void)state;
        assert_non_null(vals);
        /* every write of every session of every type: pairwise distinct
         * within a type, and each session's counter runs 1, 2, 3 ... */
        for (int t = 0; t < 3; t++) {
                struct bl_config cfg = make_cfg(types[t]);
                size_t start = n;

                for (uint32_t s = 0; s < nsess; s++) {
                        struct bl_workload w;
                        uint64_t count = 0;

                        init_ok(&w, &cfg, s, nsess);
                        for (int i = 0; i < 20000; i++) {
                                struct bl_cmd c;

                                bl_workload_next(&w, &c);
                                if (c.op == BL_OP_GET)
                                        continue;
                                count++;
                                assert_int_equal(c.value >> 32, s + 1);
                                assert_int_equal(c.value & 0xffffffffu, count);
                                assert_true(c.value > RECORDS); /* never a preloaded value */
                                vals[n++] = c.value;
                        }
                        assert_true(count > 0);
                }
                qsort(vals + start, n - start, sizeof(*vals), cmp_u64);
                for (size_t i = start + 1; i < n; i++)
                        assert_true(vals[i] != vals[i - 1]);
        }
        free(vals);
}

static void test_inserts(void **state)
{
        const uint32_t nsess = 3;
        struct bl_config cfg = make_cfg(BL_WL_YCSB_D);
        uint64_t *keys = malloc(nsess * OPS * sizeof(*keys));
        size_t n = 0;

        (void)state;
        assert_non_null(keys);
        for (uint32_t s = 0; s < nsess; s++) {
                struct bl_workload w;
                uint64_t inserts = 0, last = 0, newest_reads = 0, reads = 0;

                init_ok(&w, &cfg, s, nsess);
                for (int i = 0; i < OPS; i++) {
                        struct bl_cmd c;
                        uint64_t space = RECORDS + inserts * nsess;

                        bl_workload_next(&w, &c);
                        if (c.op == BL_OP_INSERT) {
                                /* the n-th insert of session s: records + n * nsess + s */
                                assert_int_equal(c.key, RECORDS + inserts * nsess + s);
                                assert_true(inserts == 0 || c.key > last);
                                last = c.key;
                                keys[n++] = c.key;
                                inserts++;
                                continue;
                        }
                        /* reads stay inside the estimated key space ... */
                        assert_true(c.key < space);
                        reads++;
                        /* ... and favour its newest end */
                        newest_reads += c.key + 100 >= space;
                }
                assert_in_range(inserts, 4500, 5500);
                /* keys space - 100 .. space - 1 are zipfian ranks 0-99 of
                 * ~25000: about zeta(100) / zeta(25000) ~ 0.48 of the reads */
                assert_true((double)newest_reads / (double)reads > 0.4);
        }
        /* no two sessions insert the same key */
        qsort(keys, n, sizeof(*keys), cmp_u64);
        for (size_t i = 1; i < n; i++)
                assert_true(keys[i] != keys[i - 1]);
        free(keys);
}

static void test_distribution_override(void **state)
{
        struct bl_config cfg = make_cfg(BL_WL_YCSB_C);
        struct bl_workload w;
        uint32_t *cnt = calloc(RECORDS, sizeof(*cnt));
        uint64_t hot = 0, max_key = 0;
        double mean = 0.0;

        (void)state;
        assert_non_null(cnt);
        /* default for C: YCSB's zipfian, i.e. scrambled; its hottest key
         * is the hash of rank 0 */
        init_ok(&w, &cfg, 0, 1);
        for (int i = 0; i < OPS; i++) {
                struct bl_cmd c;

                bl_workload_next(&w, &c);
                cnt[c.key]++;
        }
        for (uint64_t k = 0; k < RECORDS; k++)
                if (cnt[k] > cnt[max_key])
                        max_key = k;
        assert_int_equal(max_key, bl_fnv1a64(0) % RECORDS);

        cfg.workload.distribution = BL_DIST_UNIFORM;
        init_ok(&w, &cfg, 0, 1);
        for (int i = 0; i < OPS; i++) {
                struct bl_cmd c;

                bl_workload_next(&w, &c);
                mean += (double)c.key / OPS;
        }
        assert_true(fabs(mean - RECORDS / 2.0) < 100.0); /* sd ~ 9 */

        cfg.workload.distribution = BL_DIST_HOTSPOT;
        init_ok(&w, &cfg, 0, 1);
        for (int i = 0; i < OPS; i++) {
                struct bl_cmd c;

                bl_workload_next(&w, &c);
                hot += c.key < RECORDS / 5;
        }
        assert_true(fabs((double)hot / OPS - 0.8) < 0.01);

        /* latest without inserts: the last preloaded keys are hot */
        cfg.workload.distribution = BL_DIST_LATEST;
        init_ok(&w, &cfg, 0, 1);
        memset(cnt, 0, RECORDS * sizeof(*cnt));
        for (int i = 0; i < OPS; i++) {
                struct bl_cmd c;

                bl_workload_next(&w, &c);
                cnt[c.key]++;
        }
        assert_true(cnt[RECORDS - 1] > cnt[RECORDS - 2] && cnt[RECORDS - 2] > cnt[0]);
        free(cnt);
}

static void test_errors(void **state)
{
        struct bl_config cfg = make_cfg(BL_WL_YCSB_A);
        struct bl_workload w;

        (void)state;
        assert_int_equal(bl_workload_init(&w, &cfg, 4, 4), BL_EINVAL);
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 0), BL_EINVAL);
        cfg.workload.zipf_constant = 1.0;
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 1), BL_ECONFIG);
        cfg = make_cfg(BL_WL_YCSB_A);
        cfg.store.records = 0;
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 1), BL_ECONFIG);
        cfg = make_cfg(BL_WL_COUNTER);
        cfg.workload.counters = 0;
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 1), BL_ECONFIG);
        cfg = make_cfg(BL_WL_YCSB_A);
        cfg.workload.distribution = BL_DIST_HOTSPOT;
        cfg.workload.hotspot_op_fraction = 2.0;
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 1), BL_ECONFIG);
        cfg = make_cfg((enum bl_workload_type)99);
        assert_int_equal(bl_workload_init(&w, &cfg, 0, 1), BL_ECONFIG);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mix),         cmocka_unit_test(test_counter),
            cmocka_unit_test(test_determinism), cmocka_unit_test(test_unique_values),
            cmocka_unit_test(test_inserts),     cmocka_unit_test(test_distribution_override),
            cmocka_unit_test(test_errors),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
