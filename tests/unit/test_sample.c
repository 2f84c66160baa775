/* Tests for the linearizability key sample: hottest keys of each distribution, sample membership.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "check/sample.h"
#include "common/rng.h"
#include "config/config.h"
#include "load/dist.h"
#include "load/workload.h"

#define NKEYS 1000
#define DRAWS 200000

struct freq {
        uint64_t key;
        uint64_t count;
};

static int by_count_desc(const void *a, const void *b)
{
        const struct freq *x = a, *y = b;

        if (x->count != y->count)
                return x->count < y->count ? 1 : -1;
        return (x->key > y->key) - (x->key < y->key);
}

/* Draw DRAWS keys from g and return the keys ranked by observed frequency
 * (caller frees). */
static struct freq *observed_ranking(struct bl_keygen *g)
{
        struct freq *f = calloc(NKEYS, sizeof(*f));
        struct bl_rng r;

        assert_non_null(f);
        bl_rng_seed(&r, 7, 1);
        for (uint64_t k = 0; k < NKEYS; k++)
                f[k].key = k;
        for (int i = 0; i < DRAWS; i++)
                f[bl_keygen_next(g, &r)].count++;
        qsort(f, NKEYS, sizeof(*f), by_count_desc);
        return f;
}

static int in_top(const struct freq *f, size_t top, uint64_t key)
{
        for (size_t i = 0; i < top; i++)
                if (f[i].key == key)
                        return 1;
        return 0;
}

/* The keys bl_keygen_hottest names are the ones the generator draws most:
 * the first is the most drawn key, and all 8 are among the 12 most drawn
 * (ranks 6-8 of a zipfian differ by a few percent, so sampling noise may
 * swap neighbours, not push a named key far down). */
static void assert_hottest_are_hot(struct bl_keygen *g)
{
        uint64_t hot[8];
        size_t n = bl_keygen_hottest(g, hot, 8);
        struct freq *f = observed_ranking(g);

        assert_int_equal(n, 8);
        assert_int_equal(hot[0], f[0].key);
        for (size_t i = 0; i < n; i++) {
                if (!in_top(f, 12, hot[i]))
                        print_message("hot key %llu (rank %zu) not among the 12 most drawn\n",
                                      (unsigned long long)hot[i], i);
                assert_true(in_top(f, 12, hot[i]));
                for (size_t j = 0; j < i; j++)
                        assert_true(hot[i] != hot[j]);
        }
        free(f);
}

static void test_hottest_scrambled(void **state)
{
        struct bl_keygen g;

        (void)state;
        assert_int_equal(bl_keygen_scrambled(&g, NKEYS, 0.99), 0);
        assert_hottest_are_hot(&g);
}

static void test_hottest_zipfian(void **state)
{
        struct bl_keygen g;
        uint64_t hot[4];

        (void)state;
        assert_int_equal(bl_keygen_zipfian(&g, NKEYS, 0.99), 0);
        assert_hottest_are_hot(&g);
        assert_int_equal(bl_keygen_hottest(&g, hot, 4), 4);
        assert_int_equal(hot[3], 3);
}

static void test_hottest_latest(void **state)
{
        struct bl_keygen g;
        uint64_t hot[2];

        (void)state;
        assert_int_equal(bl_keygen_latest(&g, NKEYS, 0.99), 0);
        assert_hottest_are_hot(&g);
        assert_int_equal(bl_keygen_hottest(&g, hot, 2), 2);
        assert_int_equal(hot[0], NKEYS - 1);
        assert_int_equal(hot[1], NKEYS - 2);
}

static void test_hottest_hotspot_uniform_small(void **state)
{
        struct bl_keygen g;
        uint64_t hot[16];

        (void)state;
        /* 10% of the keys get 90% of the draws: the hot set is hot. */
        assert_int_equal(bl_keygen_hotspot(&g, NKEYS, 0.1, 0.9), 0);
        assert_int_equal(bl_keygen_hottest(&g, hot, 16), 16);
        assert_int_equal(hot[15], 15);
        /* ... but not when it draws no more than its share. */
        assert_int_equal(bl_keygen_hotspot(&g, NKEYS, 0.5, 0.5), 0);
        assert_int_equal(bl_keygen_hottest(&g, hot, 16), 0);
        /* No key of a uniform distribution is hotter than another. */
        assert_int_equal(bl_keygen_uniform(&g, NKEYS), 0);
        assert_int_equal(bl_keygen_hottest(&g, hot, 16), 0);
        /* Never more keys than there are. */
        assert_int_equal(bl_keygen_scrambled(&g, 5, 0.99), 0);
        assert_int_equal(bl_keygen_hottest(&g, hot, 16), 5);
        assert_int_equal(bl_keygen_zipfian(&g, 3, 0.99), 0);
        assert_int_equal(bl_keygen_hottest(&g, hot, 16), 3);
}

static void test_sample_membership(void **state)
{
        const uint64_t hot[] = {900, 5, 900, 77};
        struct bl_key_sample s;
        char buf[96];
        int hashed = 0;

        (void)state;
        bl_key_sample_init(&s, 0, 64, 42, hot, 4);
        assert_int_equal(s.nhot, 3); /* duplicates merged */
        assert_true(bl_key_sample_has(&s, 5));
        assert_true(bl_key_sample_has(&s, 77));
        assert_true(bl_key_sample_has(&s, 900));
        for (uint64_t k = 1000; k < 1000 + 64 * 100; k++) {
                int in = bl_key_sample_has(&s, k);
                assert_int_equal(in, bl_mix64(k ^ 42) % 64 == 0);
                hashed += in;
        }
        assert_true(hashed > 50 && hashed < 160); /* about 1 in 64 */
        assert_string_equal(bl_key_sample_describe(&s, buf, sizeof(buf)),
                            "the 3 hottest keys and 1 in 64 by hash");
        bl_key_sample_init(&s, 0, 0, 42, NULL, 0);
        assert_false(bl_key_sample_has(&s, 5));
        assert_string_equal(bl_key_sample_describe(&s, buf, sizeof(buf)), "no key");
        bl_key_sample_init(&s, 1, 0, 42, NULL, 0);
        assert_true(bl_key_sample_has(&s, 12345));
        assert_string_equal(bl_key_sample_describe(&s, buf, sizeof(buf)), "every key");
}

/*
 * The run's sample for YCSB-A (scrambled zipfian): with the hottest keys in
 * it, the checked share of the operations is far above the 1-in-64 hash
 * sample's, and the hottest key is always checked. Before, the sample was the
 * hash sample alone, which misses the hottest key for this seed.
 */
static void test_workload_sample_covers_hot_keys(void **state)
{
        struct bl_config cfg;
        struct bl_workload w;
        struct bl_key_sample hash_only, with_hot;
        uint64_t hot[8];
        size_t nhot;
        uint64_t n_hash = 0, n_hot = 0, n_top = 0, top;
        struct bl_cmd c;

        (void)state;
        bl_config_defaults(&cfg);
        cfg.workload.type = BL_WL_YCSB_A;
        cfg.store.records = 10000;
        nhot = bl_workload_hot_keys(&cfg, hot, 8);
        assert_int_equal(nhot, 8);
        top = hot[0];
        bl_key_sample_init(&hash_only, 0, 64, cfg.experiment.seed, NULL, 0);
        bl_key_sample_init(&with_hot, 0, 64, cfg.experiment.seed, hot, nhot);
        assert_false(bl_key_sample_has(&hash_only, top));
        assert_true(bl_key_sample_has(&with_hot, top));
        assert_int_equal(bl_workload_init(&w, &cfg, 3, 16), 0);
        for (int i = 0; i < DRAWS; i++) {
                bl_workload_next(&w, &c);
                n_hash += (uint64_t)bl_key_sample_has(&hash_only, c.key);
                n_hot += (uint64_t)bl_key_sample_has(&with_hot, c.key);
                n_top += c.key == top;
        }
        /* The hottest key alone carries a few percent of the operations. */
        assert_true(n_top > DRAWS / 50);
        assert_true(n_hot >= n_hash + n_top);
        assert_true(n_hot > 4 * n_hash);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_hottest_scrambled),
            cmocka_unit_test(test_hottest_zipfian),
            cmocka_unit_test(test_hottest_latest),
            cmocka_unit_test(test_hottest_hotspot_uniform_small),
            cmocka_unit_test(test_sample_membership),
            cmocka_unit_test(test_workload_sample_covers_hot_keys),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
