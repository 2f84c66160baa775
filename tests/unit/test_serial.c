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
        assert_only(&r, BL_SER_G1B);
        assert_int_equal(r.serializable, 0);
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
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
