/* Tests for the history store and the linearizability checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "check/history.h"
#include "check/lin.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/cmd.h"

#define NEVER UINT64_MAX

/* Size of the brute-force comparison; raise them for a long soak run. */
#ifndef ORACLE_ITERS
#define ORACLE_ITERS 6000
#endif
#ifndef ORACLE_SEED
#define ORACLE_SEED 42
#endif
#ifndef ORACLE_MAX_OPS
#define ORACLE_MAX_OPS 7
#endif

/* ---- building histories ---- */

static void add_op(struct bl_history *h, uint32_t client, int op, int outcome, uint64_t key,
                   uint64_t arg, uint64_t ret, int st, uint64_t inv, uint64_t rtn)
{
        struct bl_hop o;

        memset(&o, 0, sizeof(o));
        o.client = client;
        o.op = (uint8_t)op;
        o.outcome = (uint8_t)outcome;
        o.key = key;
        o.arg = arg;
        o.ret = ret;
        o.ret_status = (uint8_t)st;
        o.invoke_ns = inv;
        o.return_ns = outcome == BL_OUT_UNKNOWN ? NEVER : rtn;
        assert_int_equal(bl_history_add(h, &o), 0);
}

/* Acknowledged write, read, read of an absent key, increment, rmw. */
static void put(struct bl_history *h, uint32_t c, uint64_t key, uint64_t v, uint64_t inv,
                uint64_t rtn)
{
        add_op(h, c, BL_OP_PUT, BL_OUT_OK, key, v, 0, BL_ST_OK, inv, rtn);
}

static void put_unknown(struct bl_history *h, uint32_t c, uint64_t key, uint64_t v, uint64_t inv)
{
        add_op(h, c, BL_OP_PUT, BL_OUT_UNKNOWN, key, v, 0, BL_ST_OK, inv, NEVER);
}

static void get(struct bl_history *h, uint32_t c, uint64_t key, uint64_t v, uint64_t inv,
                uint64_t rtn)
{
        add_op(h, c, BL_OP_GET, BL_OUT_OK, key, 0, v, BL_ST_OK, inv, rtn);
}

static void get_nf(struct bl_history *h, uint32_t c, uint64_t key, uint64_t inv, uint64_t rtn)
{
        add_op(h, c, BL_OP_GET, BL_OUT_OK, key, 0, 0, BL_ST_NOTFOUND, inv, rtn);
}

static void incr(struct bl_history *h, uint32_t c, uint64_t key, uint64_t delta, uint64_t ret,
                 uint64_t inv, uint64_t rtn)
{
        add_op(h, c, BL_OP_INCR, BL_OUT_OK, key, delta, ret, BL_ST_OK, inv, rtn);
}

static void rmw(struct bl_history *h, uint32_t c, uint64_t key, uint64_t v, uint64_t old,
                uint64_t inv, uint64_t rtn)
{
        add_op(h, c, BL_OP_RMW, BL_OUT_OK, key, v, old, BL_ST_OK, inv, rtn);
}

/* ---- assertion helpers ---- */

static struct bl_lin_result check(const struct bl_history *h, uint64_t records)
{
        struct bl_lin_result r;

        assert_int_equal(bl_lin_check(h, records, 10.0, &r), 0);
        return r;
}

static void assert_linearizable(const struct bl_history *h, uint64_t records)
{
        struct bl_lin_result r = check(h, records);

        if (!r.ok)
                print_message("unexpected failure: %s\n", r.reason);
        assert_int_equal(r.ok, 1);
        assert_int_equal(r.timed_out, 0);
}

/* Fails on key `key`, with every string of `needles` (NULL-terminated) in the reason. */
static void assert_violation(const struct bl_history *h, uint64_t records, uint64_t key, ...)
{
        struct bl_lin_result r = check(h, records);
        va_list ap;
        const char *s;

        if (r.ok)
                print_message("unexpected pass: %s\n", r.reason);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 0);
        assert_int_equal(r.bad_key, key);
        va_start(ap, key);
        while ((s = va_arg(ap, const char *)) != NULL) {
                if (strstr(r.reason, s) == NULL)
                        print_message("reason \"%s\" lacks \"%s\"\n", r.reason, s);
                assert_non_null(strstr(r.reason, s));
        }
        va_end(ap);
}

static int setup(void **state)
{
        struct bl_history *h = bl_malloc(sizeof(*h));

        if (h == NULL)
                return -1;
        bl_history_init(h);
        *state = h;
        return 0;
}

static int teardown(void **state)
{
        bl_history_free(*state);
        bl_free(*state);
        return 0;
}

/* ---- history ---- */

static void test_history_grows(void **state)
{
        struct bl_history *h = *state;

        assert_int_equal(bl_history_count(h), 0);
        for (int i = 0; i < 1000; i++)
                put(h, 1, (uint64_t)i, (uint64_t)i * 7, (uint64_t)i, (uint64_t)i + 1);
        assert_int_equal(bl_history_count(h), 1000);
        assert_int_equal(h->ops[999].arg, 999 * 7);
        assert_int_equal(h->ops[500].key, 500);
        bl_history_free(h);
        assert_int_equal(bl_history_count(h), 0);
        assert_string_equal(bl_outcome_name(BL_OUT_UNKNOWN), "unknown");
}

static void test_history_oom(void **state)
{
        struct bl_history *h = *state;
        struct bl_hop o;

        memset(&o, 0, sizeof(o));
        bl_alloc_fail_after(1);
        assert_int_equal(bl_history_add(h, &o), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_history_count(h), 0);
        assert_int_equal(bl_history_add(h, &o), 0);
        assert_int_equal(bl_history_count(h), 1);
}

/* ---- linearizable histories ---- */

static void test_empty(void **state)
{
        assert_linearizable(*state, 0);
}

static void test_sequential(void **state)
{
        struct bl_history *h = *state;

        get_nf(h, 1, 5, 0, 5);
        put(h, 1, 5, 100, 10, 20);
        get(h, 2, 5, 100, 30, 40);
        put(h, 2, 5, 101, 50, 60);
        get(h, 1, 5, 101, 70, 80);
        rmw(h, 1, 5, 102, 101, 90, 95);
        get(h, 3, 5, 102, 96, 99);
        assert_linearizable(h, 0);
}

/* Two writes overlap with reads: every read may see either value, but once a
 * read has seen the newer one, later reads may not go back. */
static void test_concurrent_reads_see_either(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 7, 1, 0, 10);
        put(h, 2, 7, 2, 20, 60);
        put(h, 3, 7, 3, 25, 55);
        get(h, 4, 7, 1, 22, 30); /* before both writes */
        get(h, 5, 7, 3, 28, 40); /* write 3 first */
        get(h, 6, 7, 2, 45, 70); /* then write 2 */
        get(h, 7, 7, 2, 80, 90);
        assert_linearizable(h, 0);

        /* After 2 was read at the end, 3 may not reappear. */
        get(h, 8, 7, 3, 95, 99);
        assert_violation(h, 0, 7, "key 7", "client 8", "read -> 3", NULL);
}

static void test_touching_intervals_are_concurrent(void **state)
{
        struct bl_history *h = *state;

        /* The read returns exactly when the write is invoked: either order. */
        put(h, 1, 3, 1, 0, 10);
        get(h, 2, 3, 2, 20, 30);
        put(h, 1, 3, 2, 30, 40);
        assert_linearizable(h, 0);
}

static void test_unknown_write_took_effect(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 9, 1, 0, 10);
        put_unknown(h, 2, 9, 2, 20);
        get(h, 3, 9, 2, 100, 110);
        get(h, 3, 9, 2, 120, 130);
        assert_linearizable(h, 0);
        /* ... and cannot be undone afterwards. */
        get(h, 3, 9, 1, 140, 150);
        assert_violation(h, 0, 9, "key 9", NULL);
}

static void test_unknown_write_never_took_effect(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 9, 1, 0, 10);
        put_unknown(h, 2, 9, 2, 20);
        put_unknown(h, 4, 9, 4, 25); /* nobody reads it: dropped */
        get(h, 3, 9, 1, 100, 110);
        get(h, 3, 9, 1, 1000, 1100);
        assert_linearizable(h, 0);
}

static void test_unknown_write_late_effect(void **state)
{
        struct bl_history *h = *state;

        /* Invoked early, took effect long after later writes completed. */
        put(h, 1, 4, 1, 0, 10);
        put_unknown(h, 2, 4, 2, 15);
        put(h, 1, 4, 3, 20, 30);
        get(h, 3, 4, 3, 40, 50);
        get(h, 3, 4, 2, 60, 70);
        assert_linearizable(h, 0);
        /* But never before its invocation. */
        get(h, 5, 4, 2, 0, 12);
        assert_violation(h, 0, 4, "key 4", NULL);
}

static void test_unknown_read_dropped(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        put(h, 1, 2, 1, 0, 10);
        add_op(h, 2, BL_OP_GET, BL_OUT_UNKNOWN, 2, 0, 777, BL_ST_OK, 20, NEVER);
        r = check(h, 0);
        assert_int_equal(r.ok, 1);
        assert_int_equal(r.ops_dropped, 1);
}

/* ---- violations ---- */

static void test_stale_read(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 5, 1, 0, 10);
        put(h, 1, 5, 2, 20, 30);
        get(h, 2, 5, 1, 40, 50);
        assert_violation(h, 0, 5, "key 5", "not linearizable", "client 2 read -> 1 at [40, 50] ns",
                         NULL);
}

static void test_lost_write(void **state)
{
        struct bl_history *h = *state;

        /* Key 3 is preloaded with 4; the acknowledged write of 100 is lost. */
        get(h, 1, 3, 4, 0, 5);
        put(h, 2, 3, 100, 10, 20);
        get(h, 1, 3, 4, 30, 40);
        assert_violation(h, 10, 3, "key 3", "client 1 read -> 4", NULL);
}

static void test_read_never_written(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 6, 1, 0, 10);
        get(h, 2, 6, 999, 5, 15);
        assert_violation(h, 0, 6, "key 6", "read -> 999", "no operation wrote", NULL);
}

static void test_read_from_future(void **state)
{
        struct bl_history *h = *state;

        get(h, 1, 8, 7, 0, 10);
        put(h, 2, 8, 7, 20, 30);
        assert_violation(h, 0, 8, "key 8", "client 1 read -> 7", NULL);
}

static void test_counter_lost_increment(void **state)
{
        struct bl_history *h = *state;

        incr(h, 1, 50, 1, 1, 0, 10);
        incr(h, 2, 50, 1, 2, 20, 30);
        incr(h, 3, 50, 1, 2, 40, 50); /* lost the second */
        assert_violation(h, 0, 50, "key 50", "client 3 increment(+1) -> 2", NULL);
}

static void test_counter_lost_update(void **state)
{
        struct bl_history *h = *state;

        /* Two overlapping increments both returning 1: one was lost. */
        incr(h, 1, 50, 1, 1, 0, 10);
        incr(h, 2, 50, 1, 1, 5, 15);
        assert_violation(h, 0, 50, "key 50", NULL);
}

static void test_counter_concurrent_ok(void **state)
{
        struct bl_history *h = *state;

        incr(h, 1, 50, 5, 5, 10, 20);
        incr(h, 2, 50, 1, 6, 0, 50); /* long, linearized after the first */
        add_op(h, 3, BL_OP_INCR, BL_OUT_UNKNOWN, 50, 10, 0, BL_ST_OK, 55, NEVER);
        get(h, 4, 50, 6, 60, 70);  /* the unknown one not yet applied */
        get(h, 4, 50, 16, 80, 90); /* now it is */
        assert_linearizable(h, 0);
        get(h, 4, 50, 6, 95, 99);
        assert_violation(h, 0, 50, "key 50", NULL);
}

static void test_counter_preloaded(void **state)
{
        struct bl_history *h = *state;

        /* A preloaded key starts at key + 1 = 4; an absent one at 0. */
        incr(h, 1, 3, 1, 5, 0, 10);
        incr(h, 1, 30, 1, 1, 0, 10);
        assert_linearizable(h, 10);
}

static void test_counter_zero_delta(void **state)
{
        struct bl_history *h = *state;

        /* +0 leaves the value in place: a later read may still see it. */
        incr(h, 1, 50, 1, 1, 0, 10);
        incr(h, 2, 50, 0, 1, 20, 30);
        get(h, 3, 50, 1, 35, 40);
        assert_linearizable(h, 0);
}

static void test_rmw_lost_update(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 1, 10, 0, 5);
        rmw(h, 2, 1, 20, 10, 10, 30);
        rmw(h, 3, 1, 30, 20, 15, 35);
        assert_linearizable(h, 0);
        rmw(h, 4, 1, 40, 20, 20, 40); /* also claims to have read 20 */
        assert_violation(h, 0, 1, "key 1", NULL);
}

static void test_notfound_and_preloaded(void **state)
{
        struct bl_history *h = *state;

        get(h, 1, 3, 4, 0, 10);  /* preloaded: k + 1 */
        get_nf(h, 1, 20, 0, 10); /* beyond records: absent */
        put(h, 1, 20, 5, 20, 30);
        get(h, 1, 20, 5, 40, 50);
        assert_linearizable(h, 10);
        /* The same history without preloading: key 3 cannot read 4. */
        assert_violation(h, 0, 3, "key 3", NULL);
}

static void test_notfound_on_preloaded_key(void **state)
{
        struct bl_history *h = *state;

        get_nf(h, 1, 3, 0, 10);
        assert_violation(h, 10, 3, "key 3", "read -> NOTFOUND", NULL);
}

static void test_notfound_after_write(void **state)
{
        struct bl_history *h = *state;

        put(h, 1, 30, 5, 0, 10);
        get_nf(h, 2, 30, 20, 30);
        assert_violation(h, 10, 30, "key 30", "read -> NOTFOUND", NULL);
}

static int initial_cb(void *arg, uint64_t key, uint64_t *value)
{
        (void)arg;
        if (key % 2)
                return 0;
        *value = key * 1000;
        return 1;
}

static void test_initial_callback(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_opts o;
        struct bl_lin_result r;

        get(h, 1, 4, 4000, 0, 10);
        get_nf(h, 1, 5, 0, 10);
        bl_lin_opts_default(&o);
        o.records = 100; /* ignored: the callback wins */
        o.initial = initial_cb;
        assert_int_equal(bl_lin_check_opts(h, &o, &r), 0);
        assert_int_equal(r.ok, 1);
        get(h, 1, 6, 7, 20, 30);
        assert_int_equal(bl_lin_check_opts(h, &o, &r), 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.bad_key, 6);
}

static void test_keys_independent(void **state)
{
        struct bl_history *h = *state;

        /* Interleaved in time but on different keys: no interference. */
        put(h, 1, 1, 5, 0, 10);
        put(h, 2, 2, 6, 0, 10);
        get(h, 1, 2, 6, 20, 30);
        get(h, 2, 1, 5, 20, 30);
        get_nf(h, 3, 3, 40, 50);
        assert_linearizable(h, 0);
        /* A value written to key 1 is not a legal read of key 2. */
        get(h, 3, 2, 5, 60, 70);
        assert_violation(h, 0, 2, "key 2", NULL);
}

static void test_failed_ops_ignored(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        add_op(h, 1, BL_OP_PUT, BL_OUT_FAIL, 11, 9, 0, BL_ST_OK, 0, 10);
        get_nf(h, 2, 11, 20, 30);
        r = check(h, 0);
        assert_int_equal(r.ok, 1);
        assert_int_equal(r.ops_dropped, 1);
        /* Reading a value only a failed write carried is a violation. */
        get(h, 2, 11, 9, 40, 50);
        assert_violation(h, 0, 11, "key 11", "read -> 9", NULL);
}

static void test_malformed(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        put(h, 1, 1, 5, 20, 10);
        r = check(h, 0);
        assert_int_equal(r.ok, 0);
        assert_non_null(strstr(r.reason, "malformed"));
}

/* An ok operation that never returned is not a history a client records:
 * before, it passed as an operation concurrent with everything after it. */
static void test_malformed_ok_never_returned(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        put(h, 1, 1, 5, 0, 10);
        get(h, 2, 1, 5, 20, NEVER);
        r = check(h, 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 0);
        assert_non_null(strstr(r.reason, "malformed"));
        assert_non_null(strstr(r.reason, "never returned"));
}

static void test_stats(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        for (uint64_t k = 0; k < 10; k++) {
                put(h, 1, k, k + 100, 0, 10);
                get(h, 1, k, k + 100, 20, 30);
        }
        r = check(h, 0);
        assert_int_equal(r.ok, 1);
        assert_int_equal(r.keys_checked, 10);
        assert_int_equal(r.ops_checked, 20);
        assert_true(r.states >= 20);
        assert_non_null(strstr(r.reason, "linearizable"));
}

/* Many concurrent writes of two values (repeated values defeat the
 * unique-value pruning), then two reads that disagree with nothing written
 * in between: refuting it means trying every subset of the writes. */
static void build_hard(struct bl_history *h, int writes)
{
        for (int i = 0; i < writes; i++)
                put(h, (uint32_t)i, 1, (uint64_t)(i % 2) + 1, (uint64_t)i, 1000);
        get(h, 100, 1, 1, 2000, 2100);
        get(h, 100, 1, 2, 3000, 3100);
}

/* With unique values, the same shape is refuted at once. */
static void test_hard_unique_is_fast(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        for (int i = 0; i < 60; i++)
                put(h, (uint32_t)i, 1, (uint64_t)i + 1, (uint64_t)i, 1000);
        get(h, 100, 1, 1, 2000, 2100);
        get(h, 100, 1, 2, 3000, 3100);
        assert_int_equal(bl_lin_check(h, 0, 5.0, &r), 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 0);
        assert_true(r.states < 1000);
}

static void test_time_limit_is_unknown(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        put(h, 1, 0, 1, 0, 10); /* key 0 is checked before the hard key 1 */
        build_hard(h, 40);
        assert_int_equal(bl_lin_check(h, 0, 0.2, &r), 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 1);
        assert_int_equal(r.keys_unknown, 1);
        assert_int_equal(r.keys_checked, 1);
        assert_non_null(strstr(r.reason, "inconclusive: time limit reached on key 1"));
}

static void test_memo_budget_is_unknown(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_opts o;
        struct bl_lin_result r;

        build_hard(h, 40);
        bl_lin_opts_default(&o);
        o.max_memo_bytes = 1 << 20;
        assert_int_equal(bl_lin_check_opts(h, &o, &r), 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 1);
        assert_non_null(strstr(r.reason, "memory budget"));
}

static void test_hard_but_small_fails(void **state)
{
        struct bl_history *h = *state;

        /* The same shape with few writes is refuted exhaustively. */
        build_hard(h, 8);
        assert_violation(h, 0, 1, "key 1", NULL);
}

/* A definite violation on one key wins over another key that timed out. */
static void test_violation_beats_unknown(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_opts o;
        struct bl_lin_result r;

        build_hard(h, 40);
        put(h, 1, 2, 1, 0, 10);
        get(h, 1, 2, 2, 20, 30);
        bl_lin_opts_default(&o);
        o.max_memo_bytes = 1 << 20;
        assert_int_equal(bl_lin_check_opts(h, &o, &r), 0);
        assert_int_equal(r.ok, 0);
        assert_int_equal(r.timed_out, 0);
        assert_int_equal(r.bad_key, 2);
}

static void test_oom_injection(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;
        int saw_enomem = 0;

        for (uint64_t k = 0; k < 4; k++) {
                put(h, 1, k, 10 + k, 0, 10);
                put(h, 2, k, 20 + k, 5, 15);
                get(h, 3, k, 20 + k, 20, 30);
        }
        for (long n = 1; n < 200; n++) {
                int rc;

                bl_alloc_fail_after(n);
                rc = bl_lin_check(h, 0, 0, &r);
                bl_alloc_fail_after(0);
                if (rc == BL_ENOMEM) {
                        saw_enomem = 1;
                        assert_int_equal(r.ok, 0);
                        assert_int_equal(r.timed_out, 1);
                } else {
                        assert_int_equal(rc, 0);
                        assert_int_equal(r.ok, 1);
                        break;
                }
        }
        assert_true(saw_enomem);
}

/* ---- random histories against a brute-force oracle ---- */

/* Step of the register model, written independently of the checker. */
static int oracle_step(const struct bl_hop *o, int *present, uint64_t *value)
{
        int known = o->outcome == BL_OUT_OK;
        uint64_t old = *value;
        int was = *present;

        switch (o->op) {
        case BL_OP_GET:
                if (!known)
                        return 1;
                return o->ret_status == BL_ST_NOTFOUND ? !was : (was && old == o->ret);
        case BL_OP_PUT:
        case BL_OP_INSERT:
                *present = 1;
                *value = o->arg;
                return 1;
        case BL_OP_RMW:
                *present = 1;
                *value = o->arg;
                if (!known)
                        return 1;
                return o->ret_status == BL_ST_NOTFOUND ? !was : (was && old == o->ret);
        case BL_OP_INCR:
                *present = 1;
                *value = (was ? old : 0) + o->arg;
                return !known || *value == o->ret;
        }
        return 0;
}

/* Exhaustive search: is there an order of all known ops and some unknown ops
 * that respects real time (a before b if a returned strictly before b was
 * invoked) and the model? ops: one key, no failed ops. */
static int oracle(const struct bl_hop *ops, int n, unsigned used, int present, uint64_t value)
{
        int all_known = 1;

        for (int i = 0; i < n; i++)
                if (!(used & (1u << i)) && ops[i].outcome == BL_OUT_OK)
                        all_known = 0;
        if (all_known)
                return 1;
        for (int i = 0; i < n; i++) {
                int ok = !(used & (1u << i)), p = present;
                uint64_t v = value;

                for (int j = 0; ok && j < n; j++)
                        if (!(used & (1u << j)) && j != i && ops[j].outcome == BL_OUT_OK &&
                            ops[j].return_ns < ops[i].invoke_ns)
                                ok = 0;
                if (ok && oracle_step(&ops[i], &p, &v) && oracle(ops, n, used | (1u << i), p, v))
                        return 1;
        }
        return 0;
}

/* Flavours: 0 counter (gets and increments), 1 register with repeated
 * values and increments mixed in (the generic search), 2 register with
 * unique written values (the unique-value pruning). */
static void random_small(struct bl_rng *rng, struct bl_history *h, int n, int flavour)
{
        static const uint8_t kinds[] = {BL_OP_GET, BL_OP_GET,    BL_OP_PUT, BL_OP_RMW,
                                        BL_OP_GET, BL_OP_INSERT, BL_OP_INCR};

        uint64_t spread = 10 + bl_rng_below(rng, 80);

        h->n = 0;
        for (int i = 0; i < n; i++) {
                uint64_t inv = bl_rng_below(rng, spread), len = bl_rng_below(rng, 25);
                int outcome = bl_rng_below(rng, 5) == 0 ? BL_OUT_UNKNOWN : BL_OUT_OK;
                int st = bl_rng_below(rng, 6) == 0 ? BL_ST_NOTFOUND : BL_ST_OK;
                uint64_t arg, ret;
                int op;

                if (flavour == 0) {
                        op = bl_rng_below(rng, 2) ? BL_OP_INCR : BL_OP_GET;
                        arg = bl_rng_below(rng, 8) ? 1 + bl_rng_below(rng, 3) : 0;
                        ret = bl_rng_below(rng, 8);
                } else if (flavour == 1) {
                        op = kinds[bl_rng_below(rng, sizeof(kinds))];
                        arg = 1 + bl_rng_below(rng, 3);
                        ret = bl_rng_below(rng, 4);
                } else {
                        op = kinds[bl_rng_below(rng, sizeof(kinds) - 1)];
                        arg = 10 + (uint64_t)i;
                        ret = bl_rng_below(rng, 3) == 0 ? 1 : 10 + bl_rng_below(rng, (uint64_t)n);
                }
                if (op == BL_OP_GET && outcome == BL_OUT_UNKNOWN)
                        outcome = BL_OUT_OK;
                add_op(h, (uint32_t)i, op, outcome, 0, arg, ret, st, inv, inv + len);
        }
}

static void test_random_vs_oracle(void **state)
{
        struct bl_history *h = *state;
        struct bl_rng rng;
        int yes = 0, no = 0;

        bl_rng_seed(&rng, ORACLE_SEED, 0);
        for (int iter = 0; iter < ORACLE_ITERS; iter++) {
                int n = 1 + (int)bl_rng_below(&rng, ORACLE_MAX_OPS);
                uint64_t records = bl_rng_below(&rng, 2);
                struct bl_lin_result r;
                int expect;

                random_small(&rng, h, n, iter % 3);
                expect = oracle(h->ops, n, 0, records > 0, 1);
                assert_int_equal(bl_lin_check(h, records, 0, &r), 0);
                if (r.ok != expect) {
                        print_message("iteration %d: oracle %d, checker %d (%s)\n", iter, expect,
                                      r.ok, r.reason);
                        for (int i = 0; i < n; i++)
                                print_message("  op %s out %d arg %llu ret %llu st %d [%llu, "
                                              "%llu]\n",
                                              bl_op_name(h->ops[i].op), h->ops[i].outcome,
                                              (unsigned long long)h->ops[i].arg,
                                              (unsigned long long)h->ops[i].ret,
                                              h->ops[i].ret_status,
                                              (unsigned long long)h->ops[i].invoke_ns,
                                              (unsigned long long)h->ops[i].return_ns);
                }
                assert_int_equal(r.ok, expect);
                assert_int_equal(r.timed_out, 0);
                if (expect)
                        yes++;
                else
                        no++;
        }
        /* Both answers must be well represented for the test to mean anything. */
        assert_true(yes > 600);
        assert_true(no > 600);
}

/*
 * Simulate a sequential store over `keys` keys: operation i takes effect at
 * t = 1000 i and is recorded with an interval [t - a, t + b], a, b < width,
 * so about 2 * width / 1000 operations overlap. Unknown outcomes take effect
 * or not; failed operations do not. Keys >= keys / 2 are counters. Values
 * written are unique tokens, or drawn from [1, nvalues] if nvalues > 0.
 */
static void random_linearizable(struct bl_rng *rng, struct bl_history *h, int n, uint64_t keys,
                                uint64_t records, uint64_t width, uint64_t nvalues)
{
        int present[64];
        uint64_t value[64], token = 1ULL << 40;

        assert_true(keys <= 64);
        h->n = 0;
        for (uint64_t k = 0; k < keys; k++) {
                present[k] = k < records;
                value[k] = k + 1;
        }
        for (int i = 0; i < n; i++) {
                uint64_t t = width + 1000 * (uint64_t)i, k = bl_rng_below(rng, keys);
                uint64_t inv = t - bl_rng_below(rng, width), rtn = t + bl_rng_below(rng, width);

                /* A few slow operations span hundreds of others. */
                if (bl_rng_below(rng, 100) < 3)
                        rtn += 300 * 1000;
                int counter = k >= keys / 2, outcome = BL_OUT_OK, applies = 1;
                uint64_t roll = bl_rng_below(rng, 100);
                struct bl_hop o;
                int op;

                if (counter)
                        op = roll < 30 ? BL_OP_GET : BL_OP_INCR;
                else
                        op = roll < 50   ? BL_OP_GET
                             : roll < 80 ? BL_OP_PUT
                             : roll < 90 ? BL_OP_RMW
                                         : BL_OP_INSERT;
                roll = bl_rng_below(rng, 100);
                if (roll < 4) {
                        outcome = BL_OUT_UNKNOWN;
                        applies = bl_rng_below(rng, 2);
                } else if (roll < 6) {
                        outcome = BL_OUT_FAIL;
                        applies = 0;
                }
                memset(&o, 0, sizeof(o));
                o.client = (uint32_t)bl_rng_below(rng, 64);
                o.op = (uint8_t)op;
                o.outcome = (uint8_t)outcome;
                o.key = k;
                if (op == BL_OP_INCR)
                        o.arg = 1 + bl_rng_below(rng, 5);
                else
                        o.arg = nvalues ? 1 + bl_rng_below(rng, nvalues) : token++;
                o.invoke_ns = inv;
                o.return_ns = outcome == BL_OUT_UNKNOWN ? NEVER : rtn;
                o.ret_status = BL_ST_OK;
                if (op == BL_OP_GET || op == BL_OP_RMW) {
                        o.ret = value[k];
                        o.ret_status = present[k] ? BL_ST_OK : BL_ST_NOTFOUND;
                }
                if (applies && op != BL_OP_GET) {
                        uint64_t nv =
                            op == BL_OP_INCR ? (present[k] ? value[k] : 0) + o.arg : o.arg;
                        present[k] = 1;
                        value[k] = nv;
                        if (op == BL_OP_INCR)
                                o.ret = nv;
                }
                if (outcome == BL_OUT_FAIL)
                        o.ret = 0xbad;
                assert_int_equal(bl_history_add(h, &o), 0);
        }
}

static void test_random_linearizable_and_corrupted(void **state)
{
        struct bl_history *h = *state;

        for (uint64_t seed = 1; seed <= 150; seed++) {
                struct bl_rng rng;
                struct bl_lin_result r;
                uint64_t keys = 2 + seed % 7, width = 1000 * (1 + seed % 12);
                size_t victim = SIZE_MAX;

                bl_rng_seed(&rng, seed, 7);
                random_linearizable(&rng, h, 400, keys, seed % 3 ? keys / 2 : 0, width, 0);
                assert_int_equal(bl_lin_check(h, seed % 3 ? keys / 2 : 0, 10, &r), 0);
                if (!r.ok)
                        print_message("seed %llu: %s\n", (unsigned long long)seed, r.reason);
                assert_int_equal(r.ok, 1);

                /* Corrupt one acknowledged answer into an impossible value:
                 * a read of a register key, or an increment's result beyond
                 * the sum of every delta. */
                for (size_t i = h->n / 2; i < h->n && victim == SIZE_MAX; i++) {
                        const struct bl_hop *o = &h->ops[i];

                        if (o->outcome == BL_OUT_OK &&
                            (o->op == BL_OP_GET || o->op == BL_OP_INCR || o->op == BL_OP_RMW))
                                victim = i;
                }
                assert_true(victim != SIZE_MAX);
                h->ops[victim].ret =
                    h->ops[victim].op == BL_OP_INCR ? 1u << 30 : (1ULL << 50) + seed;
                h->ops[victim].ret_status = BL_ST_OK;
                assert_int_equal(bl_lin_check(h, seed % 3 ? keys / 2 : 0, 10, &r), 0);
                assert_int_equal(r.ok, 0);
                assert_int_equal(r.timed_out, 0);
                assert_int_equal(r.bad_key, h->ops[victim].key);
                {
                        char needle[32];

                        snprintf(needle, sizeof(needle), "key %llu",
                                 (unsigned long long)h->ops[victim].key);
                        assert_non_null(strstr(r.reason, needle));
                }
        }
}

/*
 * A slow write spans 400 short operations and must be linearized after all
 * of them. The search first places it early and backtracks; the memo must
 * tell apart configurations whose linearized sets differ far beyond the
 * first pending operation (repeated values force the generic search).
 */
static void test_long_pending_write(void **state)
{
        struct bl_history *h = *state;
        struct bl_lin_result r;

        put(h, 1, 0, 9, 0, 1000000);
        for (uint64_t i = 1; i <= 200; i++) {
                put(h, 2, 0, 1 + i % 2, 10 * i, 10 * i + 5);
                get(h, 3, 0, 1 + i % 2, 10 * i + 6, 10 * i + 8);
        }
        get(h, 4, 0, 9, 2000000, 2000010);
        r = check(h, 0);
        if (!r.ok)
                print_message("%s\n", r.reason);
        assert_int_equal(r.ok, 1);
        assert_true(r.states < 10000);
        /* And if the slow write cannot be last, the search says so. */
        get(h, 4, 0, 1, 2000020, 2000030);
        assert_violation(h, 0, 0, "key 0", NULL);
}

/* Repeated values take the generic search (no unique-value pruning), with
 * more backtracking; long keys cross many 64-operation memo windows. */
static void test_random_repeated_values(void **state)
{
        struct bl_history *h = *state;

        for (uint64_t seed = 1; seed <= 40; seed++) {
                struct bl_rng rng;
                struct bl_lin_result r;

                bl_rng_seed(&rng, seed, 11);
                random_linearizable(&rng, h, 600, 2, 1, 2000 * (1 + seed % 8), 2 + seed % 3);
                assert_int_equal(bl_lin_check(h, 1, 10, &r), 0);
                if (!r.ok)
                        print_message("seed %llu: %s\n", (unsigned long long)seed, r.reason);
                assert_int_equal(r.ok, 1);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
            T(test_history_grows),
            T(test_history_oom),
            T(test_empty),
            T(test_sequential),
            T(test_concurrent_reads_see_either),
            T(test_touching_intervals_are_concurrent),
            T(test_unknown_write_took_effect),
            T(test_unknown_write_never_took_effect),
            T(test_unknown_write_late_effect),
            T(test_unknown_read_dropped),
            T(test_stale_read),
            T(test_lost_write),
            T(test_read_never_written),
            T(test_read_from_future),
            T(test_counter_lost_increment),
            T(test_counter_lost_update),
            T(test_counter_concurrent_ok),
            T(test_counter_preloaded),
            T(test_counter_zero_delta),
            T(test_rmw_lost_update),
            T(test_notfound_and_preloaded),
            T(test_notfound_on_preloaded_key),
            T(test_notfound_after_write),
            T(test_initial_callback),
            T(test_keys_independent),
            T(test_failed_ops_ignored),
            T(test_malformed),
            T(test_malformed_ok_never_returned),
            T(test_stats),
            T(test_time_limit_is_unknown),
            T(test_memo_budget_is_unknown),
            T(test_hard_but_small_fails),
            T(test_hard_unique_is_fast),
            T(test_violation_beats_unknown),
            T(test_oom_injection),
            T(test_random_vs_oracle),
            T(test_random_linearizable_and_corrupted),
            T(test_random_repeated_values),
            T(test_long_pending_write),
#undef T
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
