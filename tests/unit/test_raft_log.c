/* Unit tests for the Raft in-memory log (kernels/raft/log.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/err.h"
#include "kernels/raft/log.h"

static void append_terms(struct bl_raft_log *l, const uint64_t *terms, int n)
{
        for (int i = 0; i < n; i++) {
                uint64_t idx = bl_raft_log_last_index(l) + 1;

                assert_int_equal(
                    bl_raft_log_append(l, terms[i], BL_RAFT_ENTRY_CMD, &idx, sizeof(idx), 0), 0);
        }
}

static uint64_t payload(const struct bl_raft_log *l, uint64_t index)
{
        struct bl_raft_entry *e = bl_raft_log_get(l, index);
        uint64_t v;

        assert_non_null(e);
        assert_int_equal(e->len, sizeof(v));
        memcpy(&v, e->buf, sizeof(v));
        return v;
}

static void test_empty(void **state)
{
        struct bl_raft_log l;

        (void)state;
        bl_raft_log_init(&l);
        assert_int_equal(bl_raft_log_last_index(&l), 0);
        assert_int_equal(bl_raft_log_last_term(&l), 0);
        assert_int_equal(bl_raft_log_term_of(&l, 0), 0);
        assert_int_equal(bl_raft_log_term_of(&l, 1), 0);
        assert_null(bl_raft_log_get(&l, 0));
        assert_null(bl_raft_log_get(&l, 1));
        assert_int_equal(bl_raft_log_first_of_term(&l, 1), 1);
        bl_raft_log_free(&l);
}

static void test_append_get_wraps(void **state)
{
        struct bl_raft_log l;
        uint64_t t1[40];

        (void)state;
        bl_raft_log_init(&l);
        for (int i = 0; i < 40; i++)
                t1[i] = 1 + (uint64_t)i / 10;
        append_terms(&l, t1, 40);
        assert_int_equal(bl_raft_log_last_index(&l), 40);
        assert_int_equal(bl_raft_log_last_term(&l), 4);
        for (uint64_t i = 1; i <= 40; i++)
                assert_int_equal(payload(&l, i), i);
        /* Compact the front and keep appending: the ring wraps around. */
        bl_raft_log_compact_to(&l, 30);
        assert_int_equal(l.offset, 30);
        assert_int_equal(l.offset_term, 3);
        assert_int_equal(bl_raft_log_term_of(&l, 30), 3);
        assert_int_equal(bl_raft_log_term_of(&l, 29), 0);
        assert_null(bl_raft_log_get(&l, 30));
        append_terms(&l, t1 + 35, 5);
        for (int k = 0; k < 3; k++) {
                bl_raft_log_compact_to(&l, bl_raft_log_last_index(&l) - 5);
                append_terms(&l, t1 + 35, 5);
        }
        for (uint64_t i = l.offset + 1; i <= bl_raft_log_last_index(&l); i++)
                assert_int_equal(payload(&l, i), i);
        assert_int_equal(l.n, 10);
        assert_int_equal(l.bytes, 10 * sizeof(uint64_t));
        bl_raft_log_free(&l);
}

static void test_truncate(void **state)
{
        struct bl_raft_log l;
        uint64_t t[] = {1, 1, 2, 2, 3};

        (void)state;
        bl_raft_log_init(&l);
        append_terms(&l, t, 5);
        bl_raft_log_truncate_from(&l, 3);
        assert_int_equal(bl_raft_log_last_index(&l), 2);
        assert_int_equal(bl_raft_log_last_term(&l), 1);
        assert_int_equal(l.bytes, 2 * sizeof(uint64_t));
        bl_raft_log_truncate_from(&l, 10); /* beyond the end: nothing */
        assert_int_equal(bl_raft_log_last_index(&l), 2);
        bl_raft_log_truncate_from(&l, 1);
        assert_int_equal(bl_raft_log_last_index(&l), 0);
        bl_raft_log_free(&l);
}

static void test_first_of_term(void **state)
{
        struct bl_raft_log l;
        uint64_t t[] = {1, 1, 2, 2, 2, 5, 5, 6};

        (void)state;
        bl_raft_log_init(&l);
        append_terms(&l, t, 8);
        assert_int_equal(bl_raft_log_first_of_term(&l, 1), 1);
        assert_int_equal(bl_raft_log_first_of_term(&l, 2), 3);
        assert_int_equal(bl_raft_log_first_of_term(&l, 3), 6); /* first with term >= 3 */
        assert_int_equal(bl_raft_log_first_of_term(&l, 5), 6);
        assert_int_equal(bl_raft_log_first_of_term(&l, 6), 8);
        assert_int_equal(bl_raft_log_first_of_term(&l, 7), 9);
        bl_raft_log_compact_to(&l, 4);
        assert_int_equal(bl_raft_log_first_of_term(&l, 2), 5);
        bl_raft_log_free(&l);
}

static void test_reset(void **state)
{
        struct bl_raft_log l;
        uint64_t t[] = {1, 2, 3};

        (void)state;
        bl_raft_log_init(&l);
        append_terms(&l, t, 3);
        bl_raft_log_reset(&l, 100, 7);
        assert_int_equal(bl_raft_log_last_index(&l), 100);
        assert_int_equal(bl_raft_log_last_term(&l), 7);
        assert_int_equal(l.n, 0);
        assert_int_equal(l.bytes, 0);
        append_terms(&l, (uint64_t[]){8}, 1);
        assert_int_equal(payload(&l, 101), 101);
        bl_raft_log_free(&l);
}

static void test_append_oom_leaves_log_unchanged(void **state)
{
        struct bl_raft_log l;
        uint64_t t[16];
        uint64_t v = 42;

        (void)state;
        for (int i = 0; i < 16; i++)
                t[i] = 1;
        bl_raft_log_init(&l);
        append_terms(&l, t, 16); /* ring full: the next append grows it */
        bl_alloc_fail_after(1);
        assert_int_equal(bl_raft_log_append(&l, 1, BL_RAFT_ENTRY_CMD, &v, 8, 0), BL_ENOMEM);
        assert_int_equal(bl_raft_log_last_index(&l), 16);
        bl_alloc_fail_after(2); /* ring grows, payload copy fails */
        assert_int_equal(bl_raft_log_append(&l, 1, BL_RAFT_ENTRY_CMD, &v, 8, 0), BL_ENOMEM);
        assert_int_equal(bl_raft_log_last_index(&l), 16);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_raft_log_append(&l, 1, BL_RAFT_ENTRY_CMD, &v, 8, 0), 0);
        assert_int_equal(payload(&l, 17), 42);
        for (uint64_t i = 1; i <= 16; i++)
                assert_int_equal(payload(&l, i), i);
        bl_raft_log_free(&l);
}

/* A ring that grew for a burst gives memory back as the log is compacted. */
static void test_ring_shrinks(void **state)
{
        struct bl_raft_log l;
        uint64_t t[1] = {1};
        size_t big;

        (void)state;
        bl_raft_log_init(&l);
        for (int i = 0; i < 5000; i++)
                append_terms(&l, t, 1);
        big = l.cap;
        assert_true(big >= 5000);
        for (uint64_t upto = 100; upto <= 4990; upto += 100)
                bl_raft_log_compact_to(&l, upto);
        assert_true(l.cap < big / 2);
        assert_true(l.cap >= l.n);
        for (uint64_t i = l.offset + 1; i <= 5000; i++)
                assert_int_equal(payload(&l, i), i);
        bl_raft_log_free(&l);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_append_get_wraps),
            cmocka_unit_test(test_truncate),
            cmocka_unit_test(test_first_of_term),
            cmocka_unit_test(test_reset),
            cmocka_unit_test(test_append_oom_leaves_log_unchanged),
            cmocka_unit_test(test_ring_shrinks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
