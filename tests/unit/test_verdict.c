/* Tests for the end-of-run verdicts: counter, replica digests, linearizability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "check/verdict.h"
#include "common/alloc.h"
#include "common/err.h"

static void assert_reason_has(const struct bl_verdict *v, const char *s)
{
        if (strstr(v->reason, s) == NULL)
                print_message("reason \"%s\" lacks \"%s\"\n", v->reason, s);
        assert_non_null(strstr(v->reason, s));
}

/* ---- counter ---- */

static void test_counter_exact(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(100, 100, 0, &v);
        assert_string_equal(v.name, "counter");
        assert_int_equal(v.pass, 1);
}

static void test_counter_with_unknown(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(100, 90, 10, &v);
        assert_int_equal(v.pass, 1);
        bl_check_counter(95, 90, 10, &v);
        assert_int_equal(v.pass, 1);
        bl_check_counter(90, 90, 10, &v);
        assert_int_equal(v.pass, 1);
}

static void test_counter_lost(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(97, 100, 50, &v);
        assert_int_equal(v.pass, 0);
        assert_reason_has(&v, "3 lost");
}

static void test_counter_too_high(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(111, 100, 10, &v);
        assert_int_equal(v.pass, 0);
        assert_reason_has(&v, "111");
        assert_reason_has(&v, "duplicated");
}

/* No increment sent and a zero counter: nothing was shown (before: pass). */
static void test_counter_nothing_sent(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(0, 0, 0, &v);
        assert_int_equal(v.pass, BL_VERDICT_UNKNOWN);
        assert_reason_has(&v, "no increment");
        /* ... but a value nobody sent is still a failure. */
        bl_check_counter(3, 0, 0, &v);
        assert_int_equal(v.pass, BL_VERDICT_FAIL);
}

static void test_counter_saturates(void **state)
{
        struct bl_verdict v;

        (void)state;
        bl_check_counter(UINT64_MAX, UINT64_MAX - 5, 100, &v);
        assert_int_equal(v.pass, 1);
}

/* ---- digests ---- */

static void test_digests_agree(void **state)
{
        struct bl_replica_state r[] = {
            {0, 0, 0, 100, 0xaa}, {0, 1, 1, 100, 0xaa}, {0, 2, 2, 90, 0x11}, /* lagging */
            {1, 0, 1, 50, 0xbb},  {1, 1, 2, 50, 0xbb},
        };
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 5, &v), 0);
        assert_string_equal(v.name, "digests");
        assert_int_equal(v.pass, 1);
        assert_reason_has(&v, "2 of 2 shards");
        assert_reason_has(&v, "at least 50 commands");
}

static void test_digests_disagree(void **state)
{
        struct bl_replica_state r[] = {
            {0, 0, 0, 100, 0xaa}, {0, 1, 1, 100, 0xaa}, {3, 0, 4, 70, 0xcc},
            {3, 1, 5, 70, 0xcc},  {3, 2, 6, 70, 0xcd},
        };
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 5, &v), 0);
        assert_int_equal(v.pass, 0);
        assert_reason_has(&v, "shard 3");
        assert_reason_has(&v, "rank 6 (member 2) has 00000000000000cd");
        assert_reason_has(&v, "after 70 commands");
}

static void test_digests_same_value_other_shard(void **state)
{
        /* Different shards may differ freely. */
        struct bl_replica_state r[] = {
            {0, 0, 0, 10, 1},
            {0, 1, 1, 10, 1},
            {1, 0, 0, 10, 2},
        };
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 3, &v), 0);
        assert_int_equal(v.pass, 1);
}

static void test_digests_nothing_to_compare(void **state)
{
        struct bl_replica_state r[] = {{0, 0, 0, 10, 1}, {0, 1, 1, 12, 2}};
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 2, &v), 0);
        assert_int_equal(v.pass, -1);
        assert_int_equal(bl_check_digests(NULL, 0, &v), 0);
        assert_int_equal(v.pass, -1);
}

/* Replicas that stopped at different counts are compared at the
 * checkpoints both reached: before, only equal final counts were compared,
 * so this said "unknown". */
static void test_digests_common_prefix(void **state)
{
        struct bl_replica_state r[] = {
            {0, 0, 0, 8, 0xd8}, {0, 0, 0, 16, 0xd16}, {0, 0, 0, 20, 0xd20}, /* final */
            {0, 1, 1, 8, 0xd8}, {0, 1, 1, 12, 0xd12},                       /* final */
            {0, 2, 2, 8, 0xd8}, {0, 2, 2, 16, 0xd16}, {0, 2, 2, 17, 0xd17}, /* final */
            {1, 0, 0, 3, 0x33}, {1, 1, 1, 5, 0x55},                         /* nothing shared */
        };
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 10, &v), 0);
        assert_int_equal(v.pass, BL_VERDICT_PASS);
        assert_reason_has(&v, "2 shared checkpoints in 1 of 2 shards");
        assert_reason_has(&v, "at least 16 commands");
        /* A divergence on the common prefix fails, though no two replicas
         * ended at the same count. */
        r[3].digest = 0xbad;
        assert_int_equal(bl_check_digests(r, 10, &v), 0);
        assert_int_equal(v.pass, BL_VERDICT_FAIL);
        assert_reason_has(&v, "shard 0: after 8 commands");
        assert_reason_has(&v, "0000000000000bad");
        /* One replica reporting two digests for one count fails too. */
        r[3].digest = 0xd8;
        r[4] = (struct bl_replica_state){0, 1, 1, 8, 0xd9};
        assert_int_equal(bl_check_digests(r, 10, &v), 0);
        assert_int_equal(v.pass, BL_VERDICT_FAIL);
}

/* Replicas that applied nothing agree trivially: that proves nothing
 * (before, two empty replicas made the verdict pass). */
static void test_digests_empty_prefix_is_unknown(void **state)
{
        struct bl_replica_state r[] = {{0, 0, 0, 0, 0}, {0, 1, 1, 0, 0}, {0, 2, 2, 4, 9}};
        struct bl_verdict v;

        (void)state;
        assert_int_equal(bl_check_digests(r, 3, &v), 0);
        assert_int_equal(v.pass, BL_VERDICT_UNKNOWN);
        assert_reason_has(&v, "nothing to compare");
}

static void test_digests_oom(void **state)
{
        struct bl_replica_state r[] = {{0, 0, 0, 10, 1}, {0, 1, 1, 10, 2}};
        struct bl_verdict v;

        (void)state;
        bl_alloc_fail_after(1);
        assert_int_equal(bl_check_digests(r, 2, &v), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(v.pass, BL_VERDICT_INCONCLUSIVE);
        assert_reason_has(&v, "out of memory");
}

/* ---- linearizability ---- */

static void test_lin_verdict(void **state)
{
        struct bl_lin_result r;
        struct bl_verdict v;

        (void)state;
        memset(&r, 0, sizeof(r));
        r.ok = 1;
        /* Every operation dropped (failed, unknown reads): nothing shown. */
        r.ops_dropped = 4;
        bl_check_lin(&r, &v);
        assert_int_equal(v.pass, BL_VERDICT_UNKNOWN);
        assert_reason_has(&v, "no operation to check (4 dropped");
        r.ops_checked = 6;
        strcpy(r.reason, "linearizable: 3 keys");
        bl_check_lin(&r, &v);
        assert_string_equal(v.name, "linearizable");
        assert_int_equal(v.pass, 1);
        assert_string_equal(v.reason, "linearizable: 3 keys");

        r.ok = 0;
        strcpy(r.reason, "key 4: not linearizable");
        bl_check_lin(&r, &v);
        assert_int_equal(v.pass, 0);
        assert_string_equal(v.reason, "key 4: not linearizable");

        r.timed_out = 1;
        bl_check_lin(&r, &v);
        assert_int_equal(v.pass, BL_VERDICT_INCONCLUSIVE);
        assert_string_equal(bl_verdict_word(v.pass), "inconclusive");
        assert_string_equal(bl_verdict_name(v.pass), "inconclusive");
        assert_string_equal(bl_verdict_word(BL_VERDICT_UNKNOWN), "unknown");
        assert_string_equal(bl_verdict_name(0), "fail");
        assert_string_equal(bl_verdict_word(0), "FAIL");
        assert_string_equal(bl_verdict_word(1), "pass");
}

/* An inconclusive check must never let the run read as pass: it outranks
 * pass and unknown, and only a failure outranks it. */
static void test_overall(void **state)
{
        struct bl_verdict v[3] = {{"digests", BL_VERDICT_PASS, ""},
                                  {"counter", BL_VERDICT_UNKNOWN, ""},
                                  {"linearizable", BL_VERDICT_INCONCLUSIVE, ""}};

        (void)state;
        assert_int_equal(bl_verdict_overall(v, 0), BL_VERDICT_UNKNOWN);
        assert_int_equal(bl_verdict_overall(v, 1), BL_VERDICT_PASS);
        assert_int_equal(bl_verdict_overall(v + 1, 1), BL_VERDICT_UNKNOWN);
        assert_int_equal(bl_verdict_overall(v, 2), BL_VERDICT_PASS);
        assert_int_equal(bl_verdict_overall(v, 3), BL_VERDICT_INCONCLUSIVE);
        assert_int_equal(bl_verdict_overall(v + 2, 1), BL_VERDICT_INCONCLUSIVE);
        v[1].pass = BL_VERDICT_FAIL;
        assert_int_equal(bl_verdict_overall(v, 3), BL_VERDICT_FAIL);
}

static void test_lin_end_to_end(void **state)
{
        struct bl_history h;
        struct bl_hop o = {
            .client = 1, .op = 1 /* put */, .key = 2, .arg = 9, .invoke_ns = 1, .return_ns = 2};
        struct bl_lin_result r;
        struct bl_verdict v;

        (void)state;
        bl_history_init(&h);
        assert_int_equal(bl_history_add(&h, &o), 0);
        o.op = 0; /* get */
        o.ret = 8;
        o.invoke_ns = 3;
        o.return_ns = 4;
        assert_int_equal(bl_history_add(&h, &o), 0);
        assert_int_equal(bl_lin_check(&h, 0, 1.0, &r), 0);
        bl_check_lin(&r, &v);
        assert_int_equal(v.pass, 0);
        assert_reason_has(&v, "key 2");
        bl_history_free(&h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_counter_exact),
            cmocka_unit_test(test_counter_with_unknown),
            cmocka_unit_test(test_counter_lost),
            cmocka_unit_test(test_counter_too_high),
            cmocka_unit_test(test_counter_saturates),
            cmocka_unit_test(test_counter_nothing_sent),
            cmocka_unit_test(test_digests_agree),
            cmocka_unit_test(test_digests_disagree),
            cmocka_unit_test(test_digests_same_value_other_shard),
            cmocka_unit_test(test_digests_nothing_to_compare),
            cmocka_unit_test(test_digests_common_prefix),
            cmocka_unit_test(test_digests_empty_prefix_is_unknown),
            cmocka_unit_test(test_digests_oom),
            cmocka_unit_test(test_lin_verdict),
            cmocka_unit_test(test_overall),
            cmocka_unit_test(test_lin_end_to_end),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
