/* Tests for the transaction history and the list-append serializability checker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "check/serial.h"
#include "check/txnhist.h"
#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "txn_model.h"

#define OK   BL_OUT_OK
#define FAIL BL_OUT_FAIL
#define UNK  BL_OUT_UNKNOWN

/* ---- building histories ---- */

static void txn(struct bl_txn_history *h, uint64_t id, int outcome, uint64_t inv, uint64_t done)
{
        assert_int_equal(bl_txn_begin(h, id, (uint32_t)id, outcome, inv, done), 0);
}

static void app(struct bl_txn_history *h, uint64_t key, uint64_t value)
{
        assert_int_equal(bl_txn_append(h, key, value), 0);
}

/* read(key) -> the n values that follow. */
static void rd(struct bl_txn_history *h, uint64_t key, int n, ...)
{
        uint64_t v[16];
        va_list ap;

        assert_true(n <= 16);
        va_start(ap, n);
        for (int i = 0; i < n; i++)
                v[i] = va_arg(ap, uint64_t);
        va_end(ap);
        assert_int_equal(bl_txn_read(h, key, v, (size_t)n), 0);
}

static void check(const struct bl_txn_history *h, struct bl_ser_result *r)
{
        struct bl_ser_opts o;

        bl_ser_opts_default(&o);
        assert_int_equal(bl_ser_check(h, &o, r), 0);
}

/* ---- assertion helpers named after what they check ---- */

static void assert_valid(const struct bl_ser_result *r)
{
        if (r->serializable != 1 || r->strict != 1 || r->found != 0)
                fail_msg("expected a valid history: %s", r->reason);
        assert_false(r->inconclusive);
}

static void assert_only(const struct bl_ser_result *r, int a)
{
        if (r->found != (1u << a))
                fail_msg("expected only %s, got: %s", bl_ser_anomaly_name(a), r->reason);
        assert_false(r->inconclusive);
        assert_non_null(strstr(r->reason, bl_ser_anomaly_name(a)));
}

/* The reported cycle visits exactly these transactions (in some rotation). */
static void assert_cycle(const struct bl_ser_result *r, int cls, size_t n, const uint64_t *ids)
{
        size_t start;

        assert_int_equal(r->cycle_class, cls);
        assert_int_equal(r->cycle_len, n);
        for (start = 0; start < n && r->cycle[start] != ids[0]; start++)
                ;
        if (start == n)
                fail_msg("T%llu not in the cycle: %s", (unsigned long long)ids[0], r->reason);
        for (size_t i = 0; i < n; i++)
                if (r->cycle[(start + i) % n] != ids[i])
                        fail_msg("cycle differs at %zu: %s", i, r->reason);
}

/* Type of the cycle's edge that leaves transaction id. */
static int edge_from(const struct bl_ser_result *r, uint64_t id)
{
        for (size_t i = 0; i < r->cycle_len && i < BL_SER_MAX_CYCLE; i++)
                if (r->cycle[i] == id)
                        return r->cycle_edge[i];
        fail_msg("T%llu not in the cycle: %s", (unsigned long long)id, r->reason);
        return -1;
}

/* ---- the history store ---- */

static void test_history_store(void **state)
{
        struct bl_txn_history h;
        uint64_t l[3] = {1, 2, 3};

        (void)state;
        bl_txn_history_init(&h);
        assert_int_equal(bl_txn_append(&h, 1, 1), BL_EINVAL); /* no transaction yet */
        assert_int_equal(bl_txn_begin(&h, 1, 0, 7, 0, 1), BL_EINVAL);
        txn(&h, 10, OK, 5, 9);
        app(&h, 1, 4);
        assert_int_equal(bl_txn_read(&h, 1, l, 3), 0);
        txn(&h, 11, UNK, 6, 100);
        assert_int_equal(h.n, 2);
        assert_int_equal(h.txns[1].complete_ns, UINT64_MAX);
        assert_int_equal(h.txns[0].nmops, 2);
        assert_int_equal(bl_txn_mops(&h, 0)[1].len, 3);
        assert_int_equal(bl_mop_list(&h, &bl_txn_mops(&h, 0)[1])[2], 3);
        bl_txn_history_free(&h);
        assert_int_equal(h.n, 0);
}

static void test_history_oom(void **state)
{
        struct bl_txn_history h;

        (void)state;
        bl_txn_history_init(&h);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_txn_begin(&h, 1, 0, OK, 0, 1), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(h.n, 0);
        bl_txn_history_free(&h);
}

/* ---- valid histories ---- */

static void test_empty(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

static void test_serial_valid(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        rd(&h, 2, 0);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 1, 1);
        app(&h, 2, 1);
        app(&h, 1, 2);
        rd(&h, 1, 2, 1, 2); /* internal read: ends with its own append */
        txn(&h, 3, OK, 40, 50);
        rd(&h, 1, 2, 1, 2);
        rd(&h, 2, 1, 1);
        check(&h, &r);
        assert_valid(&r);
        assert_int_equal(r.txns, 3);
        assert_true(r.edges >= 4);
        bl_txn_history_free(&h);
}

/* Concurrent transactions whose only serial order is not their start order. */
static void test_concurrent_valid(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 100); /* starts first, serialised after T2 */
        rd(&h, 1, 1, 2);
        app(&h, 1, 1);
        txn(&h, 2, OK, 10, 50);
        app(&h, 1, 2);
        txn(&h, 3, OK, 200, 210);
        rd(&h, 1, 2, 2, 1);
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

/* Unknown outcomes: one seen (committed), one never seen (no constraint),
 * one with a read that must be ignored; failed writes nobody saw. */
static void test_unknown_valid(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, UNK, 0, 0);
        app(&h, 1, 1);
        txn(&h, 2, UNK, 0, 0);
        app(&h, 1, 2);
        rd(&h, 2, 1, 99); /* read of an unknown transaction: ignored */
        txn(&h, 3, FAIL, 0, 5);
        app(&h, 1, 3);
        txn(&h, 4, OK, 10, 20);
        rd(&h, 1, 1, 1);
        txn(&h, 5, OK, 30, 40); /* T1's append, read again after it completed */
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_valid(&r);
        assert_int_equal(r.txns, 3); /* T1, T4, T5; T2 unseen and T3 failed stay out */
        bl_txn_history_free(&h);
}

/* An unknown transaction never completes, so it precedes nothing in real
 * time: a read that misses it long after it started is fine. */
static void test_unknown_no_realtime(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, UNK, 0, 0);
        app(&h, 1, 1);
        txn(&h, 2, OK, 100, 110);
        rd(&h, 1, 0);
        txn(&h, 3, OK, 200, 210);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

/* ---- one history per anomaly class ---- */

/* G0: T1 and T2 append to x and y in opposite orders. */
static void test_g0(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 100);
        app(&h, 1, 1);
        app(&h, 2, 1);
        txn(&h, 2, OK, 0, 100);
        app(&h, 1, 2);
        app(&h, 2, 2);
        txn(&h, 3, OK, 0, 100);
        rd(&h, 1, 2, 1, 2);
        rd(&h, 2, 2, 2, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G0);
        assert_int_equal(r.serializable, 0);
        assert_int_equal(r.strict, 0);
        assert_cycle(&r, BL_SER_G0, 2, cyc);
        assert_int_equal(edge_from(&r, 1), BL_SER_WW);
        assert_int_equal(edge_from(&r, 2), BL_SER_WW);
        assert_non_null(strstr(r.reason, "T1 -ww-> T2"));
        bl_txn_history_free(&h);
}

/* G1a: a committed read sees the value of an aborted transaction. */
static void test_g1a(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, FAIL, 0, 10);
        app(&h, 1, 1);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G1A);
        assert_int_equal(r.serializable, 0);
        assert_int_equal(r.count[BL_SER_G1A], 1);
        assert_non_null(strstr(r.reason, "aborted"));
        bl_txn_history_free(&h);
}

/* G1b: a read sees the first of two appends of one transaction. */
static void test_g1b(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        app(&h, 1, 2);
        txn(&h, 2, OK, 5, 30);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        /* T2 also missed T1's second append, committed though unread: the
         * intermediate read closes T1 -wr-> T2 -rw-> T1 as well. G1b, the
         * weaker, is the one explained. */
        if (r.found != ((1u << BL_SER_G1B) | (1u << BL_SER_G2_ITEM)))
                fail_msg("expected G1b and its G2-item cycle: %s", r.reason);
        assert_non_null(strstr(r.reason, "G1b: intermediate read"));
        assert_int_equal(r.serializable, 0);
        assert_int_equal(edge_from(&r, 1), BL_SER_WR);
        assert_int_equal(edge_from(&r, 2), BL_SER_RW);
        bl_txn_history_free(&h);
}

/* G1c: each transaction reads the other's append (wr cycle). */
static void test_g1c(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 100);
        app(&h, 1, 1);
        rd(&h, 2, 1, 1);
        txn(&h, 2, OK, 0, 100);
        app(&h, 2, 1);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G1C);
        assert_int_equal(r.serializable, 0);
        assert_cycle(&r, BL_SER_G1C, 2, cyc);
        assert_int_equal(edge_from(&r, 1), BL_SER_WR);
        bl_txn_history_free(&h);
}

/* G1c with a ww edge too: T1 -ww-> T2 on key 1, T2 -wr-> T1 on key 2. */
static void test_g1c_mixed(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 100);
        app(&h, 1, 1);
        rd(&h, 2, 1, 7);
        txn(&h, 2, OK, 0, 100);
        app(&h, 1, 2);
        app(&h, 2, 7);
        txn(&h, 3, OK, 200, 300);
        rd(&h, 1, 2, 1, 2);
        check(&h, &r);
        assert_only(&r, BL_SER_G1C);
        assert_cycle(&r, BL_SER_G1C, 2, cyc);
        assert_int_equal(edge_from(&r, 1), BL_SER_WW);
        assert_int_equal(edge_from(&r, 2), BL_SER_WR);
        bl_txn_history_free(&h);
}

/* G2-item: write skew. Both read x and y empty, each appends to one. */
static void test_g2_item(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 100);
        rd(&h, 1, 0);
        rd(&h, 2, 0);
        app(&h, 1, 1);
        txn(&h, 2, OK, 0, 100);
        rd(&h, 1, 0);
        rd(&h, 2, 0);
        app(&h, 2, 1);
        txn(&h, 3, OK, 200, 300);
        rd(&h, 1, 1, 1);
        rd(&h, 2, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G2_ITEM);
        assert_int_equal(r.serializable, 0);
        assert_int_equal(r.strict, 0);
        assert_cycle(&r, BL_SER_G2_ITEM, 2, cyc);
        assert_int_equal(edge_from(&r, 1), BL_SER_RW);
        assert_int_equal(edge_from(&r, 2), BL_SER_RW);
        assert_non_null(strstr(r.reason, "missing"));
        bl_txn_history_free(&h);
}

/* Stale read: serializable (T2 before T1), but T1 completed before T2
 * began, so not strictly serializable (G2-item-realtime: rw + rt). */
static void test_realtime_stale_read(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        struct bl_ser_opts o;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 0);
        txn(&h, 3, OK, 40, 50);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G2_ITEM_RT);
        assert_int_equal(r.serializable, 1);
        assert_int_equal(r.strict, 0);
        assert_cycle(&r, BL_SER_G2_ITEM_RT, 2, cyc);
        assert_int_equal(edge_from(&r, 1), BL_SER_RT);
        assert_int_equal(edge_from(&r, 2), BL_SER_RW);
        /* Without real time the same history passes, strictness unknown. */
        bl_ser_opts_default(&o);
        o.realtime = 0;
        assert_int_equal(bl_ser_check(&h, &o, &r), 0);
        assert_int_equal(r.serializable, 1);
        assert_int_equal(r.strict, -1);
        assert_int_equal(r.found, 0);
        bl_txn_history_free(&h);
}

/* Intervals that touch are concurrent: the same stale read is then fine. */
static void test_realtime_touching(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 20);
        app(&h, 1, 1);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 0);
        txn(&h, 3, OK, 40, 50);
        rd(&h, 1, 1, 1);
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

/* G0-realtime: appends ordered against real time (T2 finished first, yet
 * T1's value precedes T2's). */
static void test_g0_realtime(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 20, 30);
        app(&h, 1, 1);
        txn(&h, 2, OK, 0, 10);
        app(&h, 1, 2);
        txn(&h, 3, OK, 40, 50);
        rd(&h, 1, 2, 1, 2);
        check(&h, &r);
        assert_only(&r, BL_SER_G0_RT);
        assert_int_equal(r.serializable, 1);
        assert_int_equal(r.strict, 0);
        assert_int_equal(r.cycle_len, 2);
        bl_txn_history_free(&h);
}

/* A longer cycle: T1 -wr-> T2 -wr-> T3 -rw-> T1 (G2-item through three). */
static void test_g2_three(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2, 3};

        (void)state;
        bl_txn_history_init(&h);
        /* T1 also appends to key 3, which T3 missed. */
        txn(&h, 1, OK, 0, 100);
        app(&h, 1, 1);
        app(&h, 3, 1);
        txn(&h, 2, OK, 0, 100);
        rd(&h, 1, 1, 1);
        app(&h, 2, 1);
        txn(&h, 3, OK, 0, 100);
        rd(&h, 2, 1, 1);
        rd(&h, 3, 0);
        txn(&h, 4, OK, 200, 300);
        rd(&h, 3, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_G2_ITEM);
        assert_cycle(&r, BL_SER_G2_ITEM, 3, cyc);
        bl_txn_history_free(&h);
}

/* A read misses a committed append that no read shows, by a transaction
 * that finished before the read began: not strictly serializable, even
 * without a later read of the value. */
static void test_unobserved_append(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const uint64_t cyc[] = {1, 2};

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 0);
        check(&h, &r);
        assert_only(&r, BL_SER_G2_ITEM_RT);
        assert_int_equal(r.serializable, 1);
        assert_cycle(&r, BL_SER_G2_ITEM_RT, 2, cyc);
        assert_non_null(strstr(r.reason, "no read shows it"));
        /* The same unknown append may never have happened: valid. */
        h.txns[0].outcome = UNK;
        h.txns[0].complete_ns = UINT64_MAX;
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

/* Every transaction reads an empty list and appends to it, unseen: each
 * misses all the others (a broken store). Ordering each reader before every
 * other writer must not cost readers x writers edges. */
static void test_unobserved_all_pairs(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        const size_t n = 20000;

        (void)state;
        bl_txn_history_init(&h);
        for (size_t i = 0; i < n; i++) {
                txn(&h, i + 1, OK, i, 10 * n);
                rd(&h, 7, 0);
                app(&h, 7, i + 1);
        }
        check(&h, &r);
        assert_int_equal(r.serializable, 0);
        assert_true(r.found & (1u << BL_SER_G2_ITEM));
        assert_int_equal(r.cycle_len, 2);
        assert_true(r.edges < 10 * n);
        /* One transaction alone is fine: it does not precede itself. */
        h.n = 1;
        check(&h, &r);
        assert_valid(&r);
        bl_txn_history_free(&h);
}

/* ---- non-cycle anomalies ---- */

static void test_incompatible_order(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        txn(&h, 2, OK, 0, 10);
        app(&h, 1, 2);
        txn(&h, 3, OK, 20, 30);
        rd(&h, 1, 2, 1, 2);
        txn(&h, 4, OK, 20, 30);
        rd(&h, 1, 1, 2);
        check(&h, &r);
        assert_true(r.found & (1u << BL_SER_INCOMPATIBLE));
        assert_int_equal(r.serializable, 0);
        assert_non_null(strstr(r.reason, "prefix"));
        bl_txn_history_free(&h);
}

static void test_duplicate_and_garbage(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        txn(&h, 2, OK, 20, 30);
        rd(&h, 1, 2, 1, 1);
        check(&h, &r);
        assert_only(&r, BL_SER_DUPLICATE);
        bl_txn_history_free(&h);

        bl_txn_history_init(&h);
        txn(&h, 1, OK, 20, 30);
        rd(&h, 1, 1, 42);
        check(&h, &r);
        assert_only(&r, BL_SER_GARBAGE);
        assert_int_equal(r.serializable, 0);
        bl_txn_history_free(&h);
}

static void test_internal(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 1);
        rd(&h, 1, 0); /* does not see its own append */
        check(&h, &r);
        assert_only(&r, BL_SER_INTERNAL);
        bl_txn_history_free(&h);
}

/* ---- bad input and budgets ---- */

static void test_repeated_append_refused(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;

        (void)state;
        bl_txn_history_init(&h);
        txn(&h, 1, OK, 0, 10);
        app(&h, 1, 5);
        txn(&h, 2, OK, 0, 10);
        app(&h, 1, 5);
        assert_int_equal(bl_ser_check(&h, NULL, &r), BL_EINVAL);
        assert_int_equal(r.serializable, -1);
        assert_int_equal(r.strict, -1);
        assert_non_null(strstr(r.reason, "value 5"));
        assert_int_equal(bl_ser_check(NULL, NULL, &r), BL_EINVAL);
        bl_txn_history_free(&h);
}

static void test_out_of_memory_is_inconclusive(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        struct model_opts mo;
        int rc;

        (void)state;
        bl_txn_history_init(&h);
        model_opts_default(&mo);
        mo.txns = 200;
        assert_int_equal(model_history(&mo, &h), 0);
        for (long n = 1; n < 40; n++) {
                bl_alloc_fail_after(n);
                rc = bl_ser_check(&h, NULL, &r);
                bl_alloc_fail_after(0);
                if (rc == 0) {
                        assert_valid(&r);
                        break;
                }
                assert_int_equal(rc, BL_ENOMEM);
                assert_int_equal(r.serializable, -1);
                assert_true(r.inconclusive);
        }
        assert_int_equal(rc, 0);
        bl_txn_history_free(&h);
}

/* A valid history under a time limit too small to finish: never a pass. */
static void test_time_limit_is_inconclusive(void **state)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        struct bl_ser_opts o;
        struct model_opts mo;

        (void)state;
        bl_txn_history_init(&h);
        model_opts_default(&mo);
        mo.txns = 50000;
        assert_int_equal(model_history(&mo, &h), 0);
        bl_ser_opts_default(&o);
        o.time_limit_s = 1e-9;
        assert_int_equal(bl_ser_check(&h, &o, &r), 0);
        assert_true(r.inconclusive);
        assert_int_equal(r.serializable, -1);
        assert_int_equal(r.strict, -1);
        assert_non_null(strstr(r.reason, "inconclusive"));
        bl_txn_history_free(&h);
}

/* ---- random valid histories and their mutations ---- */

static double now_s(void)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void random_valid(size_t txns, uint64_t seed, double unknown, double failed)
{
        struct bl_txn_history h;
        struct bl_ser_result r;
        struct model_opts mo;
        double t0;

        bl_txn_history_init(&h);
        model_opts_default(&mo);
        mo.seed = seed;
        mo.txns = txns;
        mo.unknown_frac = unknown;
        mo.fail_frac = failed;
        assert_int_equal(model_history(&mo, &h), 0);
        t0 = now_s();
        check(&h, &r);
        if (r.found != 0)
                fail_msg("seed %llu, %zu txns: %s", (unsigned long long)seed, txns, r.reason);
        assert_valid(&r);
        assert_true(r.txns > txns / 2);
        if (txns >= 10000)
                print_message("# %zu txns (unknown %.2f, failed %.2f): %.3f s, %llu edges\n", txns,
                              unknown, failed, now_s() - t0, (unsigned long long)r.edges);
        bl_txn_history_free(&h);
}

static void test_random_valid_small(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 200; seed++)
                random_valid(50 + seed % 50, seed, (seed % 3) * 0.1, (seed % 2) * 0.1);
}

static void test_random_valid_large(void **state)
{
        (void)state;
        random_valid(10000, 7, 0.02, 0.02);
        random_valid(100000, 8, 0.01, 0.01);
}

/* Does a committed read of key other than `self` hold at least len values? */
static int longer_read(const struct bl_txn_history *h, uint64_t key, uint32_t len,
                       const struct bl_mop *self)
{
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_mop *m = bl_txn_mops(h, i);

                for (uint32_t j = 0; j < h->txns[i].nmops; j++)
                        if (h->txns[i].outcome == OK && &m[j] != self && m[j].kind == BL_MOP_READ &&
                            m[j].key == key && m[j].len >= len)
                                return 1;
        }
        return 0;
}

/* The writer of value v (values are unique in the model). */
static struct bl_txn *writer_of(struct bl_txn_history *h, uint64_t v)
{
        for (size_t i = 0; i < h->n; i++) {
                const struct bl_mop *m = bl_txn_mops(h, i);

                for (uint32_t j = 0; j < h->txns[i].nmops; j++)
                        if (m[j].kind == BL_MOP_APPEND && m[j].value == v)
                                return &h->txns[i];
        }
        return NULL;
}

/* Turn an observed writer into an aborted one: G1a, always. */
static void test_mutation_aborted_writer(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                struct bl_txn_history h;
                struct bl_ser_result r;
                struct model_opts mo;
                struct bl_txn *w = NULL;

                bl_txn_history_init(&h);
                model_opts_default(&mo);
                mo.seed = seed;
                mo.txns = 300;
                assert_int_equal(model_history(&mo, &h), 0);
                for (size_t i = h.n / 2; i < h.n && w == NULL; i++) {
                        const struct bl_mop *m = bl_txn_mops(&h, i);

                        for (uint32_t j = 0; j < h.txns[i].nmops && w == NULL; j++) {
                                if (h.txns[i].outcome != OK || m[j].kind != BL_MOP_READ ||
                                    m[j].len == 0)
                                        continue;
                                w = writer_of(&h, bl_mop_list(&h, &m[j])[0]);
                                if (w == &h.txns[i])
                                        w = NULL;
                        }
                }
                assert_non_null(w);
                w->outcome = FAIL;
                check(&h, &r);
                if (!(r.found & (1u << BL_SER_G1A)))
                        fail_msg("seed %llu: G1a missed: %s", (unsigned long long)seed, r.reason);
                assert_int_equal(r.serializable, 0);
                bl_txn_history_free(&h);
        }
}

/*
 * Make a read stale: drop the last element of a read whose writer completed
 * before the reader was invoked. The reader then misses a write that real
 * time says it must see: strict serializability fails. Another read holds the
 * dropped value, so the version order still shows what was missed.
 */
static void test_mutation_stale_read(void **state)
{
        (void)state;
        for (uint64_t seed = 1; seed <= 20; seed++) {
                struct bl_txn_history h;
                struct bl_ser_result r;
                struct model_opts mo;
                int done = 0;

                bl_txn_history_init(&h);
                model_opts_default(&mo);
                mo.seed = seed;
                mo.txns = 300;
                assert_int_equal(model_history(&mo, &h), 0);
                for (size_t i = 0; i < h.n && !done; i++) {
                        struct bl_mop *m = h.mops + h.txns[i].first;

                        for (uint32_t j = 0; j < h.txns[i].nmops && !done; j++) {
                                struct bl_txn *w;

                                if (h.txns[i].outcome != OK || m[j].kind != BL_MOP_READ ||
                                    m[j].len == 0)
                                        continue;
                                w = writer_of(&h, bl_mop_list(&h, &m[j])[m[j].len - 1]);
                                if (w == NULL || w->outcome != OK ||
                                    w->complete_ns >= h.txns[i].invoke_ns ||
                                    !longer_read(&h, m[j].key, m[j].len, &m[j]))
                                        continue;
                                m[j].len--;
                                done = 1;
                        }
                }
                assert_true(done);
                check(&h, &r);
                if (r.strict != 0)
                        fail_msg("seed %llu: stale read missed: %s", (unsigned long long)seed,
                                 r.reason);
                bl_txn_history_free(&h);
        }
}

/* ---- comparison with a brute-force search over serial orders ---- */

#ifndef ORACLE_ITERS
#define ORACLE_ITERS 3000
#endif
#ifndef ORACLE_SEED
#define ORACLE_SEED 4242
#endif

#ifndef OR_TXNS
#define OR_TXNS 6 /* at most 5 random transactions and the final reader */
#endif
#ifndef OR_KEYS
#define OR_KEYS 2
#endif
#define OR_LIST (3 * OR_TXNS) /* every append to one key */

struct or_txn {
        uint64_t id;
        int outcome;
        uint64_t inv, done;
        int applied; /* its appends reached the lists */
        int nops;
        int kind[3];
        uint64_t key[3], value[3];
        uint64_t list[3][OR_LIST];
        uint32_t len[3];
};

/* Does the serial order ord[0..n) reproduce every committed read, keeping
 * real time when rt is set? */
static int or_replay(const struct or_txn *t, const int *ord, int n, int rt)
{
        uint64_t l[OR_KEYS][OR_LIST];
        uint32_t ln[OR_KEYS] = {0};

        for (int i = 0; i < n; i++) {
                const struct or_txn *x = &t[ord[i]];

                for (int j = i + 1; rt && j < n; j++)
                        if (t[ord[j]].done < x->inv) /* a later one finished first */
                                return 0;
                for (int o = 0; o < x->nops; o++) {
                        uint64_t k = x->key[o];

                        if (x->kind[o] == BL_MOP_APPEND) {
                                l[k][ln[k]++] = x->value[o];
                        } else if (x->outcome == OK &&
                                   (x->len[o] != ln[k] ||
                                    memcmp(x->list[o], l[k], ln[k] * sizeof(uint64_t)) != 0)) {
                                return 0;
                        }
                }
        }
        return 1;
}

/* Heap's algorithm over ord[0..n): 1 if some order replays. */
static int or_search(const struct or_txn *t, int *ord, int n, int rt)
{
        int c[OR_TXNS] = {0}, i = 0;

        if (or_replay(t, ord, n, rt))
                return 1;
        while (i < n) {
                if (c[i] < i) {
                        int j = i % 2 == 0 ? 0 : c[i], tmp = ord[j];

                        ord[j] = ord[i];
                        ord[i] = tmp;
                        if (or_replay(t, ord, n, rt))
                                return 1;
                        c[i]++;
                        i = 0;
                } else {
                        c[i++] = 0;
                }
        }
        return 0;
}

/*
 * A random small history, executed in a random order (not time order) with
 * reads that sometimes return a stale prefix, aborted appends that sometimes
 * leak, and unknown transactions that take effect or not; a final reader
 * sees every list whole, so every committed value is observed. The checker
 * must agree with the brute force on serializability and on strict
 * serializability.
 */
/* Is a value of x in some committed read of t[0..n)? */
static int or_observed(const struct or_txn *t, int n, const struct or_txn *x)
{
        for (int i = 0; i < n; i++)
                for (int o = 0; t[i].outcome == OK && o < t[i].nops; o++)
                        for (uint32_t e = 0; t[i].kind[o] == BL_MOP_READ && e < t[i].len[o]; e++)
                                for (int a = 0; a < x->nops; a++)
                                        if (x->kind[a] == BL_MOP_APPEND &&
                                            t[i].list[o][e] == x->value[a])
                                                return 1;
        return 0;
}

static void oracle(int final)
{
        struct bl_rng rng;
        int disagree = 0, anomalies = 0, strict_only = 0;

        bl_rng_seed(&rng, ORACLE_SEED, (uint64_t) final);
        for (int it = 0; it < ORACLE_ITERS; it++) {
                struct or_txn t[OR_TXNS];
                int n = 2 + (int)bl_rng_below(&rng, OR_TXNS - 2), order[OR_TXNS], ord[OR_TXNS],
                    m = 0;
                uint64_t l[OR_KEYS][OR_LIST], value = 1;
                uint32_t ln[OR_KEYS] = {0};
                struct bl_txn_history h;
                struct bl_ser_result r;
                int ser, strict;

                memset(t, 0, sizeof(t));
                for (int i = 0; i < n; i++) {
                        uint64_t roll = bl_rng_below(&rng, 100);

                        t[i].id = (uint64_t)i + 1;
                        t[i].outcome = roll < 70 ? OK : roll < 85 ? FAIL : UNK;
                        t[i].inv = bl_rng_below(&rng, 100);
                        t[i].done = t[i].outcome == UNK ? UINT64_MAX
                                                        : t[i].inv + 1 + bl_rng_below(&rng, 50);
                        t[i].applied = t[i].outcome == OK ||
                                       (t[i].outcome == UNK && bl_rng_below(&rng, 2)) ||
                                       (t[i].outcome == FAIL && bl_rng_below(&rng, 5) == 0);
                        t[i].nops = 1 + (int)bl_rng_below(&rng, 3);
                        for (int o = 0; o < t[i].nops; o++) {
                                t[i].kind[o] = (int)bl_rng_below(&rng, 2);
                                t[i].key[o] = bl_rng_below(&rng, OR_KEYS);
                                t[i].value[o] = value++;
                        }
                        order[i] = i;
                }
                /* Execute in a random order. */
                for (int i = n - 1; i > 0; i--) {
                        int j = (int)bl_rng_below(&rng, (uint64_t)i + 1), x = order[i];

                        order[i] = order[j];
                        order[j] = x;
                }
                for (int i = 0; i < n; i++) {
                        struct or_txn *x = &t[order[i]];

                        for (int o = 0; o < x->nops; o++) {
                                uint64_t k = x->key[o];

                                if (x->kind[o] == BL_MOP_APPEND) {
                                        if (x->applied)
                                                l[k][ln[k]++] = x->value[o];
                                        continue;
                                }
                                x->len[o] = bl_rng_below(&rng, 10) < 7
                                                ? ln[k]
                                                : (uint32_t)bl_rng_below(&rng, ln[k] + 1);
                                memcpy(x->list[o], l[k], x->len[o] * sizeof(uint64_t));
                        }
                }
                t[n] = (struct or_txn){.id = 99,
                                       .outcome = OK,
                                       .inv = 1000,
                                       .done = 1001,
                                       .applied = 1,
                                       .nops = final ? OR_KEYS : 0};
                for (int k = 0; k < OR_KEYS; k++) {
                        t[n].kind[k] = BL_MOP_READ;
                        t[n].key[k] = (uint64_t)k;
                        t[n].len[k] = ln[k];
                        memcpy(t[n].list[k], l[k], ln[k] * sizeof(uint64_t));
                }
                /* Committed: ok ones, and unknown ones whose values were seen
                 * (an unseen one may be left out, which constrains least). */
                for (int i = 0; i <= n; i++)
                        if (t[i].outcome == OK ||
                            (t[i].outcome == UNK && or_observed(t, n + 1, &t[i])))
                                ord[m++] = i;
                ser = or_search(t, ord, m, 0);
                strict = or_search(t, ord, m, 1);

                bl_txn_history_init(&h);
                for (int i = 0; i <= n; i++) {
                        txn(&h, t[i].id, t[i].outcome, t[i].inv, t[i].done);
                        for (int o = 0; o < t[i].nops; o++) {
                                if (t[i].kind[o] == BL_MOP_APPEND)
                                        app(&h, t[i].key[o], t[i].value[o]);
                                else
                                        assert_int_equal(
                                            bl_txn_read(&h, t[i].key[o], t[i].list[o], t[i].len[o]),
                                            0);
                        }
                }
                check(&h, &r);
                if (r.serializable != ser || r.strict != strict) {
                        if (disagree < 5)
                                for (int i = 0; i <= n; i++) {
                                        print_message("#   T%llu %d [%llu %llu] applied %d:",
                                                      (unsigned long long)t[i].id, t[i].outcome,
                                                      (unsigned long long)t[i].inv,
                                                      (unsigned long long)t[i].done, t[i].applied);
                                        for (int o = 0; o < t[i].nops; o++) {
                                                if (t[i].kind[o] == BL_MOP_APPEND) {
                                                        print_message(
                                                            " a(%llu,%llu)",
                                                            (unsigned long long)t[i].key[o],
                                                            (unsigned long long)t[i].value[o]);
                                                        continue;
                                                }
                                                print_message(" r(%llu)=[",
                                                              (unsigned long long)t[i].key[o]);
                                                for (uint32_t e = 0; e < t[i].len[o]; e++)
                                                        print_message(
                                                            " %llu",
                                                            (unsigned long long)t[i].list[o][e]);
                                                print_message("]");
                                        }
                                        print_message("\n");
                                }
                        if (disagree++ < 5)
                                print_message("# iteration %d: brute force %d/%d, checker "
                                              "%d/%d: %s\n",
                                              it, ser, strict, r.serializable, r.strict, r.reason);
                }
                anomalies += !ser;
                strict_only += ser && !strict;
                bl_txn_history_free(&h);
        }
        print_message("# oracle (%s): %d histories, %d not serializable, %d serializable but "
                      "not strictly\n",
                      final ? "final reads" : "no final reads", ORACLE_ITERS, anomalies,
                      strict_only);
        assert_int_equal(disagree, 0);
        /* The generator must exercise both kinds of failure. */
        assert_true(anomalies > ORACLE_ITERS / 20);
        assert_true(strict_only > ORACLE_ITERS / 50);
}

static void test_oracle_final_reads(void **state)
{
        (void)state;
        oracle(1);
}

static void test_oracle_no_final_reads(void **state)
{
        (void)state;
        oracle(0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_history_store),
            cmocka_unit_test(test_history_oom),
            cmocka_unit_test(test_empty),
            cmocka_unit_test(test_serial_valid),
            cmocka_unit_test(test_concurrent_valid),
            cmocka_unit_test(test_unknown_valid),
            cmocka_unit_test(test_unknown_no_realtime),
            cmocka_unit_test(test_g0),
            cmocka_unit_test(test_g1a),
            cmocka_unit_test(test_g1b),
            cmocka_unit_test(test_g1c),
            cmocka_unit_test(test_g1c_mixed),
            cmocka_unit_test(test_g2_item),
            cmocka_unit_test(test_realtime_stale_read),
            cmocka_unit_test(test_realtime_touching),
            cmocka_unit_test(test_g0_realtime),
            cmocka_unit_test(test_g2_three),
            cmocka_unit_test(test_unobserved_append),
            cmocka_unit_test(test_unobserved_all_pairs),
            cmocka_unit_test(test_incompatible_order),
            cmocka_unit_test(test_duplicate_and_garbage),
            cmocka_unit_test(test_internal),
            cmocka_unit_test(test_repeated_append_refused),
            cmocka_unit_test(test_out_of_memory_is_inconclusive),
            cmocka_unit_test(test_time_limit_is_inconclusive),
            cmocka_unit_test(test_random_valid_small),
            cmocka_unit_test(test_random_valid_large),
            cmocka_unit_test(test_mutation_aborted_writer),
            cmocka_unit_test(test_mutation_stale_read),
            cmocka_unit_test(test_oracle_final_reads),
            cmocka_unit_test(test_oracle_no_final_reads),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
