/* Unit tests for the key-value state machine (src/store/kv.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/rng.h"
#include "store/kv.h"

static struct bl_result apply_rc(struct bl_kv *kv, int op, uint32_t client, uint64_t seq,
                                 uint64_t key, uint64_t value, int want_rc)
{
        struct bl_cmd c = {
            .op = (uint8_t)op, .client = client, .seq = seq, .key = key, .value = value};
        struct bl_result res;

        assert_int_equal(bl_kv_apply(kv, &c, &res), want_rc);
        return res;
}

static struct bl_result apply(struct bl_kv *kv, int op, uint32_t client, uint64_t seq, uint64_t key,
                              uint64_t value)
{
        return apply_rc(kv, op, client, seq, key, value, 0);
}

static void assert_result(struct bl_result r, int status, uint64_t value)
{
        assert_int_equal(r.status, status);
        assert_int_equal(r.value, value);
}

static void assert_value(const struct bl_kv *kv, uint64_t key, uint64_t want)
{
        uint64_t v = 0;

        assert_int_equal(bl_kv_get(kv, key, &v), 0);
        assert_int_equal(v, want);
}

static void assert_absent(const struct bl_kv *kv, uint64_t key)
{
        uint64_t v;

        assert_int_equal(bl_kv_get(kv, key, &v), BL_ENOTFOUND);
}

static struct bl_kv *new_kv(int shard, int nshards, uint64_t records)
{
        struct bl_kv *kv = bl_kv_create(shard, nshards, records);

        assert_non_null(kv);
        return kv;
}

/* A deterministic mix of mutations (and reads) from several clients, over
 * preloaded keys, new keys and the edge keys 0 and UINT64_MAX. */
static void run_mix(struct bl_kv *kv, uint64_t seed, int nops)
{
        struct bl_rng r;
        uint64_t seq[8] = {0};

        bl_rng_seed(&r, seed, 0);
        for (int i = 0; i < nops; i++) {
                uint32_t client = (uint32_t)bl_rng_below(&r, 8);
                int op = (int)bl_rng_below(&r, BL_OP__COUNT);
                uint64_t key;

                switch (bl_rng_below(&r, 4)) {
                case 0:
                        key = 0;
                        break;
                case 1:
                        key = UINT64_MAX - bl_rng_below(&r, 2);
                        break;
                default:
                        key = bl_rng_below(&r, 3000);
                }
                apply(kv, op, client, ++seq[client], key, bl_rng_next(&r));
        }
}

static void test_shard_of(void **state)
{
        int counts[7] = {0};

        (void)state;
        assert_int_equal(bl_shard_of(12345, 1), 0);
        assert_int_equal(bl_shard_of(12345, 0), 0);
        for (uint64_t k = 0; k < 70000; k++) {
                int s = bl_shard_of(k, 7);

                assert_true(s >= 0 && s < 7);
                counts[s]++;
        }
        for (int s = 0; s < 7; s++) /* expect 10000 each; sd ~ 93 */
                assert_in_range(counts[s], 9500, 10500);
}

static void test_preload(void **state)
{
        const uint64_t records = 20000;
        const int nshards = 4;
        struct bl_kv *kv[4];
        size_t total = 0;

        (void)state;
        for (int s = 0; s < nshards; s++) {
                kv[s] = new_kv(s, nshards, records);
                total += bl_kv_size(kv[s]);
                /* each shard gets ~1/4 of the keys (sd ~ 61) */
                assert_in_range(bl_kv_size(kv[s]), 4700, 5300);
                assert_int_equal(bl_kv_digest(kv[s]), 0);
                assert_int_equal(bl_kv_applied(kv[s]), 0);
        }
        assert_int_equal(total, records);
        for (uint64_t k = 0; k < records; k++) {
                int owner = bl_shard_of(k, nshards);

                for (int s = 0; s < nshards; s++) {
                        if (s == owner)
                                assert_value(kv[s], k, k + 1);
                        else
                                assert_absent(kv[s], k);
                }
        }
        for (int s = 0; s < nshards; s++) {
                assert_absent(kv[s], records);
                bl_kv_destroy(kv[s]);
        }
        assert_null(bl_kv_create(4, 4, 10));
        assert_null(bl_kv_create(-1, 4, 10));
        bl_kv_destroy(NULL);
}

static void test_apply_semantics(void **state)
{
        struct bl_kv *kv = new_kv(0, 1, 100);

        (void)state;
        assert_result(apply(kv, BL_OP_GET, 1, 1, 5, 0), BL_ST_OK, 6);
        assert_result(apply(kv, BL_OP_GET, 1, 1, 500, 0), BL_ST_NOTFOUND, 0);
        assert_int_equal(bl_kv_applied(kv), 0);
        assert_int_equal(bl_kv_digest(kv), 0);

        assert_result(apply(kv, BL_OP_PUT, 1, 1, 5, 777), BL_ST_OK, 777);
        assert_value(kv, 5, 777);
        assert_result(apply(kv, BL_OP_INSERT, 1, 2, 500, 888), BL_ST_OK, 888);
        assert_value(kv, 500, 888);
        assert_int_equal(bl_kv_size(kv), 101);

        /* rmw returns the old value and writes the new one */
        assert_result(apply(kv, BL_OP_RMW, 1, 3, 5, 999), BL_ST_OK, 777);
        assert_value(kv, 5, 999);
        /* rmw of an absent key: NOTFOUND, still written */
        assert_result(apply(kv, BL_OP_RMW, 1, 4, 600, 42), BL_ST_NOTFOUND, 0);
        assert_value(kv, 600, 42);

        /* incr: absent counts as 0; result is the new value */
        assert_result(apply(kv, BL_OP_INCR, 1, 5, 700, 1), BL_ST_OK, 1);
        assert_result(apply(kv, BL_OP_INCR, 1, 6, 700, 4), BL_ST_OK, 5);
        assert_result(apply(kv, BL_OP_INCR, 1, 7, 9, 1), BL_ST_OK, 11);
        assert_value(kv, 700, 5);

        /* edge keys 0 and UINT64_MAX */
        assert_result(apply(kv, BL_OP_GET, 2, 1, 0, 0), BL_ST_OK, 1);
        assert_result(apply(kv, BL_OP_PUT, 2, 1, 0, 55), BL_ST_OK, 55);
        assert_result(apply(kv, BL_OP_PUT, 2, 2, UINT64_MAX, 66), BL_ST_OK, 66);
        assert_value(kv, 0, 55);
        assert_value(kv, UINT64_MAX, 66);

        assert_int_equal(bl_kv_applied(kv), 9);
        assert_int_not_equal(bl_kv_digest(kv), 0);
        assert_true(bl_kv_mem_bytes(kv) >= bl_kv_size(kv) * 16);

        /* unknown op */
        assert_int_equal(apply_rc(kv, BL_OP__COUNT, 3, 1, 1, 1, BL_EPROTO).status, BL_ST_ERROR);
        assert_int_equal(bl_kv_applied(kv), 9);
        bl_kv_destroy(kv);
}

static void test_dedup(void **state)
{
        struct bl_kv *kv = new_kv(0, 1, 100);
        uint64_t digest, applied;

        (void)state;
        assert_result(apply(kv, BL_OP_RMW, 7, 1, 3, 100), BL_ST_OK, 4);
        digest = bl_kv_digest(kv);
        applied = bl_kv_applied(kv);

        /* a retry returns the cached result, even with another payload */
        assert_result(apply(kv, BL_OP_RMW, 7, 1, 3, 100), BL_ST_OK, 4);
        assert_result(apply(kv, BL_OP_PUT, 7, 1, 3, 12345), BL_ST_OK, 4);
        assert_value(kv, 3, 100);
        assert_int_equal(bl_kv_digest(kv), digest);
        assert_int_equal(bl_kv_applied(kv), applied);

        /* a retried increment is not counted twice */
        assert_result(apply(kv, BL_OP_INCR, 7, 2, 50, 1), BL_ST_OK, 52);
        assert_result(apply(kv, BL_OP_INCR, 7, 2, 50, 1), BL_ST_OK, 52);
        assert_value(kv, 50, 52);

        /* a newer seq applies; an older one is stale */
        assert_result(apply(kv, BL_OP_PUT, 7, 5, 3, 200), BL_ST_OK, 200);
        digest = bl_kv_digest(kv);
        applied = bl_kv_applied(kv);
        assert_int_equal(apply(kv, BL_OP_PUT, 7, 4, 3, 300).status, BL_ST_ERROR);
        assert_int_equal(apply(kv, BL_OP_PUT, 7, 1, 3, 300).status, BL_ST_ERROR);
        assert_value(kv, 3, 200);
        assert_int_equal(bl_kv_digest(kv), digest);
        assert_int_equal(bl_kv_applied(kv), applied);

        /* clients are independent; client 0 and a first seq of 0 work */
        assert_result(apply(kv, BL_OP_PUT, 0, 0, 3, 400), BL_ST_OK, 400);
        assert_result(apply(kv, BL_OP_PUT, 0, 0, 3, 500), BL_ST_OK, 400);
        assert_result(apply(kv, BL_OP_PUT, 8, 1, 3, 600), BL_ST_OK, 600);

        /* reads are not deduplicated and do not touch sessions */
        assert_result(apply(kv, BL_OP_GET, 7, 5, 3, 0), BL_ST_OK, 600);
        assert_result(apply(kv, BL_OP_GET, 7, 1, 3, 0), BL_ST_OK, 600);
        assert_result(apply(kv, BL_OP_PUT, 7, 5, 3, 1), BL_ST_OK, 200);
        assert_value(kv, 3, 600);

        /* many sessions (session table growth) */
        for (uint32_t c = 100; c < 5100; c++)
                apply(kv, BL_OP_INCR, c, 1, 99, 1);
        for (uint32_t c = 100; c < 5100; c++)
                assert_result(apply(kv, BL_OP_INCR, c, 1, 99, 1), BL_ST_OK, 100 + (c - 99));
        assert_value(kv, 99, 5100);
        bl_kv_destroy(kv);
}

static void test_digest(void **state)
{
        struct bl_kv *a = new_kv(0, 1, 1000), *b = new_kv(0, 1, 1000);

        (void)state;
        run_mix(a, 42, 3000);
        run_mix(b, 42, 3000);
        assert_int_equal(bl_kv_digest(a), bl_kv_digest(b));
        assert_int_equal(bl_kv_applied(a), bl_kv_applied(b));

        /* reads change nothing */
        apply(a, BL_OP_GET, 1, 1, 10, 0);
        assert_int_equal(bl_kv_digest(a), bl_kv_digest(b));

        /* one different value shows */
        apply(a, BL_OP_PUT, 100, 1, 10, 1);
        apply(b, BL_OP_PUT, 100, 1, 10, 2);
        assert_int_not_equal(bl_kv_digest(a), bl_kv_digest(b));
        bl_kv_destroy(a);
        bl_kv_destroy(b);

        /* the same writes in another order show */
        a = new_kv(0, 1, 10);
        b = new_kv(0, 1, 10);
        apply(a, BL_OP_PUT, 1, 1, 1, 10);
        apply(a, BL_OP_PUT, 2, 1, 2, 20);
        apply(b, BL_OP_PUT, 2, 1, 2, 20);
        apply(b, BL_OP_PUT, 1, 1, 1, 10);
        assert_int_not_equal(bl_kv_digest(a), bl_kv_digest(b));
        /* the same key and value by another op shows */
        bl_kv_reset(a);
        bl_kv_reset(b);
        apply(a, BL_OP_PUT, 1, 1, 1, 10);
        apply(b, BL_OP_INSERT, 1, 1, 1, 10);
        assert_int_not_equal(bl_kv_digest(a), bl_kv_digest(b));
        /* another key shows */
        bl_kv_reset(a);
        bl_kv_reset(b);
        apply(a, BL_OP_PUT, 1, 1, 1, 10);
        apply(b, BL_OP_PUT, 1, 1, 2, 10);
        assert_int_not_equal(bl_kv_digest(a), bl_kv_digest(b));
        bl_kv_destroy(a);
        bl_kv_destroy(b);
}

static void assert_same_state(const struct bl_kv *a, const struct bl_kv *b)
{
        assert_int_equal(bl_kv_digest(a), bl_kv_digest(b));
        assert_int_equal(bl_kv_applied(a), bl_kv_applied(b));
        assert_int_equal(bl_kv_size(a), bl_kv_size(b));
        for (uint64_t k = 0; k < 3000; k++) {
                uint64_t va = 0, vb = 0;
                int ra = bl_kv_get(a, k, &va), rb = bl_kv_get(b, k, &vb);

                assert_int_equal(ra, rb);
                assert_int_equal(va, vb);
        }
        for (uint64_t k = UINT64_MAX - 1; k != 0; k++) {
                uint64_t va = 0, vb = 0;

                assert_int_equal(bl_kv_get(a, k, &va), bl_kv_get(b, k, &vb));
                assert_int_equal(va, vb);
        }
}

static void snapshot(const struct bl_kv *kv, void **buf, size_t *len)
{
        assert_int_equal(bl_kv_snapshot(kv, buf, len), 0);
        assert_non_null(*buf);
}

static void test_snapshot_roundtrip(void **state)
{
        struct bl_kv *a = new_kv(1, 2, 2000), *b = new_kv(1, 2, 2000);
        void *sa, *sb, *s0;
        size_t la, lb, l0;

        (void)state;
        /* an untouched store snapshots to a few bytes */
        snapshot(b, &s0, &l0);
        assert_true(l0 < 100);

        run_mix(a, 7, 5000);
        snapshot(a, &sa, &la);
        /* b first grows its table, so the layouts differ */
        run_mix(b, 8, 20000);
        assert_int_equal(bl_kv_restore(b, sa, la), 0);
        assert_same_state(a, b);

        /* canonical: the same state gives the same bytes */
        snapshot(b, &sb, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(sa, sb, la);

        /* sessions came along: retries get the cached result on both */
        for (uint32_t c = 0; c < 8; c++) {
                struct bl_cmd cmd = {.op = BL_OP_PUT, .client = c, .key = 1, .value = 9};
                struct bl_result ra, rb;
                uint64_t last = 0;

                /* find the client's last seq by probing for the cached reply */
                for (uint64_t s = 1; s < 6000; s++) {
                        cmd.seq = s;
                        assert_int_equal(bl_kv_apply(a, &cmd, &ra), 0);
                        if (ra.status != BL_ST_ERROR) {
                                last = s;
                                break;
                        }
                }
                assert_int_not_equal(last, 0);
                assert_int_equal(bl_kv_apply(b, &cmd, &rb), 0);
                assert_int_equal(ra.status, rb.status);
                assert_int_equal(ra.value, rb.value);
        }
        assert_same_state(a, b);

        /* restoring the untouched snapshot equals a reset */
        assert_int_equal(bl_kv_restore(b, s0, l0), 0);
        assert_int_equal(bl_kv_digest(b), 0);
        {
                struct bl_kv *fresh = new_kv(1, 2, 2000);

                assert_same_state(b, fresh);
                bl_kv_destroy(fresh);
        }
        bl_free(sb);
        snapshot(b, &sb, &lb);
        assert_int_equal(lb, l0);
        assert_memory_equal(sb, s0, l0);

        bl_free(sa);
        bl_free(sb);
        bl_free(s0);
        bl_kv_destroy(a);
        bl_kv_destroy(b);
}

/* Restore must fail with BL_EPROTO and leave the state as it was. */
static void assert_restore_rejected(struct bl_kv *kv, const void *buf, size_t len,
                                    const void *before, size_t before_len)
{
        void *now;
        size_t now_len;

        assert_int_equal(bl_kv_restore(kv, buf, len), BL_EPROTO);
        snapshot(kv, &now, &now_len);
        assert_int_equal(now_len, before_len);
        assert_memory_equal(now, before, before_len);
        bl_free(now);
}

static void test_restore_bad(void **state)
{
        struct bl_kv *a = new_kv(0, 1, 500), *b = new_kv(0, 1, 500), *other = new_kv(0, 2, 500);
        struct bl_rng r;
        void *sa, *sb, *so;
        size_t la, lb, lo;
        uint8_t *bad;

        (void)state;
        run_mix(a, 1, 2000);
        run_mix(b, 2, 500);
        snapshot(a, &sa, &la);
        snapshot(b, &sb, &lb);
        snapshot(other, &so, &lo);
        bad = malloc(la + 16);
        assert_non_null(bad);

        /* truncations: every length in the header, then a sample */
        for (size_t n = 0; n < la; n += n < 256 ? 1 : 61)
                assert_int_equal(bl_kv_restore(b, sa, n), BL_EPROTO);
        assert_restore_rejected(b, sa, la / 2, sb, lb);
        assert_restore_rejected(b, NULL, 0, sb, lb);
        /* trailing bytes */
        memcpy(bad, sa, la);
        memset(bad + la, 0, 16);
        assert_restore_rejected(b, bad, la + 16, sb, lb);
        /* single bit flips anywhere */
        for (size_t i = 0; i < la; i += 7) {
                memcpy(bad, sa, la);
                bad[i] ^= (uint8_t)(1u << (i % 8));
                assert_int_equal(bl_kv_restore(b, bad, la), BL_EPROTO);
        }
        /* garbage */
        bl_rng_seed(&r, 3, 0);
        for (int t = 0; t < 100; t++) {
                size_t n = (size_t)bl_rng_below(&r, la + 1);

                for (size_t i = 0; i < n; i++)
                        bad[i] = (uint8_t)bl_rng_next(&r);
                assert_int_equal(bl_kv_restore(b, bad, n), BL_EPROTO);
        }
        /* a snapshot of another shard layout */
        assert_restore_rejected(b, so, lo, sb, lb);
        assert_restore_rejected(b, bad, la, sb, lb);

        /* and the good one still works */
        assert_int_equal(bl_kv_restore(b, sa, la), 0);
        assert_same_state(a, b);

        free(bad);
        bl_free(sa);
        bl_free(sb);
        bl_free(so);
        bl_kv_destroy(a);
        bl_kv_destroy(b);
        bl_kv_destroy(other);
}

static void test_reset(void **state)
{
        struct bl_kv *kv = new_kv(0, 3, 3000), *fresh = new_kv(0, 3, 3000);
        size_t n = bl_kv_size(kv);

        (void)state;
        run_mix(kv, 5, 4000);
        assert_int_not_equal(bl_kv_size(kv), n);
        assert_int_equal(bl_kv_reset(kv), 0);
        assert_same_state(kv, fresh);
        assert_int_equal(bl_kv_digest(kv), 0);
        assert_int_equal(bl_kv_applied(kv), 0);
        /* sessions are gone: seq 1 applies again */
        assert_result(apply(kv, BL_OP_PUT, 1, 1, 0, 5), BL_ST_OK, 5);
        assert_int_equal(bl_kv_applied(kv), 1);
        bl_kv_destroy(kv);
        bl_kv_destroy(fresh);
}

static void test_growth(void **state)
{
        const uint64_t n = 1000000;
        struct bl_kv *kv = new_kv(0, 1, 0);

        (void)state;
        assert_int_equal(bl_kv_size(kv), 0);
        for (uint64_t i = 0; i < n; i++)
                apply(kv, BL_OP_PUT, 1, i + 1, bl_mix64(i), i);
        assert_int_equal(bl_kv_size(kv), n);
        assert_int_equal(bl_kv_applied(kv), n);
        for (uint64_t i = 0; i < n; i++)
                assert_value(kv, bl_mix64(i), i);
        /* load 3/4 at most, doubling: under 8/3 slots a key, 16 bytes a slot */
        assert_true(bl_kv_mem_bytes(kv) <= 16 * (8 * n / 3) + 65536);
        bl_kv_destroy(kv);

        /* a large preload (sorted in chunks), also after reset */
        kv = new_kv(1, 3, n);
        assert_int_equal(bl_kv_reset(kv), 0);
        for (uint64_t k = 0; k < n; k++) {
                if (bl_shard_of(k, 3) == 1)
                        assert_value(kv, k, k + 1);
                else
                        assert_absent(kv, k);
        }
        assert_in_range(bl_kv_size(kv), n / 3 - 2000, n / 3 + 2000);
        bl_kv_destroy(kv);
        /* the same when the chunk buffers cannot be had (4th allocation) */
        bl_alloc_fail_after(4);
        kv = new_kv(0, 1, n);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_kv_size(kv), n);
        for (uint64_t k = 0; k < n; k++)
                assert_value(kv, k, k + 1);
        bl_kv_destroy(kv);
}

static void test_oom(void **state)
{
        struct bl_kv *kv;
        void *s1, *s2, *buf;
        size_t l1, l2, len;
        int rc;

        (void)state;
        /* create fails cleanly at every allocation */
        for (long k = 1; k <= 3; k++) {
                bl_alloc_fail_after(k);
                assert_null(bl_kv_create(0, 1, 100));
        }
        bl_alloc_fail_after(0);

        kv = new_kv(0, 1, 10);
        run_mix(kv, 9, 100);
        snapshot(kv, &s1, &l1);
        /* a mutation that needs a new session and table growth, failing at
         * each allocation in turn, changes nothing */
        for (long k = 1;; k++) {
                struct bl_cmd c = {
                    .op = BL_OP_PUT, .client = 1000, .seq = 1, .key = 1u << 20, .value = 1};
                struct bl_result res;

                bl_alloc_fail_after(k);
                rc = bl_kv_apply(kv, &c, &res);
                bl_alloc_fail_after(0);
                if (rc == 0)
                        break;
                assert_int_equal(rc, BL_ENOMEM);
                snapshot(kv, &s2, &l2);
                assert_int_equal(l1, l2);
                assert_memory_equal(s1, s2, l1);
                bl_free(s2);
        }
        assert_value(kv, 1u << 20, 1);

        /* snapshot reports ENOMEM */
        bl_alloc_fail_after(1);
        assert_int_equal(bl_kv_snapshot(kv, &buf, &len), BL_ENOMEM);
        assert_null(buf);
        bl_alloc_fail_after(0);

        /* restore into a fresh store that must grow: ENOMEM leaves it fresh */
        bl_kv_destroy(kv);
        kv = new_kv(0, 1, 10);
        for (uint64_t i = 0; i < 1000; i++)
                apply(kv, BL_OP_PUT, 1, i + 1, 100 + i, i);
        bl_free(s1);
        snapshot(kv, &s1, &l1);
        bl_kv_destroy(kv);
        kv = new_kv(0, 1, 10);
        bl_alloc_fail_after(1);
        assert_int_equal(bl_kv_restore(kv, s1, l1), BL_ENOMEM);
        bl_alloc_fail_after(0);
        assert_int_equal(bl_kv_size(kv), 10);
        assert_int_equal(bl_kv_applied(kv), 0);
        assert_int_equal(bl_kv_restore(kv, s1, l1), 0);
        assert_int_equal(bl_kv_size(kv), 1010);
        bl_free(s1);
        bl_kv_destroy(kv);
}

/* ---- digest checkpoints ---- */

/* Apply the i-th mutation of a fixed sequence (one client, increasing seq). */
static void mutate(struct bl_kv *kv, uint64_t i)
{
        apply(kv, BL_OP_PUT, 1, i + 1, i % 97, 1000 + i);
}

/* Apply mutations [from, to) and remember the digest after each one:
 * digests[n] is the digest once n mutations were applied. */
static void mutate_range(struct bl_kv *kv, uint64_t from, uint64_t to, uint64_t *digests)
{
        for (uint64_t i = from; i < to; i++) {
                mutate(kv, i);
                if (digests != NULL)
                        digests[i + 1] = bl_kv_digest(kv);
        }
}

/* Every checkpoint is a multiple of the interval the applied count implies
 * (smallest power of two leaving at most BL_KV_CHECKPOINTS multiples), all of
 * them are there from `first` on, and each holds the digest the replica had
 * at that count. */
static void assert_checkpoints(const struct bl_kv *kv, uint64_t first, const uint64_t *digests)
{
        const struct bl_kv_checkpoint *cp;
        size_t n = bl_kv_checkpoints(kv, &cp);
        uint64_t applied = bl_kv_applied(kv), every = 1, want;

        while (applied / every > BL_KV_CHECKPOINTS)
                every *= 2;
        want = (first + every - 1) / every * every;
        if (want == 0)
                want = every;
        assert_true(n <= BL_KV_CHECKPOINTS);
        for (size_t i = 0; i < n; i++, want += every) {
                assert_int_equal(cp[i].applied, want);
                assert_int_equal(cp[i].digest, digests[want]);
        }
        assert_true(want > applied); /* none missing at the end */
}

/* Two replicas that applied different numbers of the same commands share
 * checkpoints on their common prefix with equal digests, which is what the
 * digest verdict compares: before, only equal applied counts were. */
static void test_checkpoints(void **state)
{
        enum { N = 5000, M = 3001 };
        uint64_t *dig = calloc(N + 1, sizeof(uint64_t));
        struct bl_kv *a = new_kv(0, 1, 100), *b = new_kv(0, 1, 100);
        const struct bl_kv_checkpoint *ca, *cb;
        size_t na, nb, common = 0;

        (void)state;
        assert_non_null(dig);
        mutate_range(a, 0, N, dig);
        mutate_range(b, 0, M, NULL);
        assert_checkpoints(a, 1, dig);
        assert_checkpoints(b, 1, dig);
        na = bl_kv_checkpoints(a, &ca);
        nb = bl_kv_checkpoints(b, &cb);
        assert_int_equal(na, N / 8); /* 5000 / 8 <= 1024 < 5000 / 4 */
        assert_int_equal(nb, M / 4);
        for (size_t i = 0, j = 0; i < na && j < nb;) {
                if (ca[i].applied == cb[j].applied) {
                        assert_int_equal(ca[i].digest, cb[j].digest);
                        common++;
                        i++;
                        j++;
                } else if (ca[i].applied < cb[j].applied) {
                        i++;
                } else {
                        j++;
                }
        }
        assert_int_equal(common, M / 8);

        /* Reads, retries and stale requests record nothing. */
        apply(b, BL_OP_GET, 1, 0, 5, 0);
        apply(b, BL_OP_PUT, 1, M, 5, 7); /* a retry of the last request */
        assert_int_equal(bl_kv_checkpoints(b, &cb), nb);

        /* A reset is a new incarnation: nothing recorded until it replays. */
        assert_int_equal(bl_kv_reset(b), 0);
        assert_int_equal(bl_kv_checkpoints(b, &cb), 0);
        mutate_range(b, 0, 40, NULL);
        assert_checkpoints(b, 1, dig);
        assert_int_equal(bl_kv_checkpoints(b, &cb), 40);

        bl_kv_destroy(a);
        bl_kv_destroy(b);
        free(dig);
}

/* A snapshot install keeps the replica's own checkpoints below the snapshot
 * (thinned to the new interval) and records none it skipped; from there on
 * it records the same checkpoints as a replica that applied everything. */
static void test_checkpoints_restore(void **state)
{
        enum { N = 5000, S = 2000, OWN = 600 };
        uint64_t *dig = calloc(N + 1, sizeof(uint64_t));
        struct bl_kv *a = new_kv(0, 1, 100), *b = new_kv(0, 1, 100);
        const struct bl_kv_checkpoint *cb;
        size_t nb;
        void *snap;
        size_t len;

        (void)state;
        assert_non_null(dig);
        mutate_range(a, 0, S, dig);
        snapshot(a, &snap, &len);
        mutate_range(a, S, N, dig);
        mutate_range(b, 0, OWN, NULL);
        assert_int_equal(bl_kv_restore(b, snap, len), 0);
        nb = bl_kv_checkpoints(b, &cb);
        assert_int_equal(nb, OWN / 2); /* interval 2 for 2000 applied */
        for (size_t i = 0; i < nb; i++) {
                assert_int_equal(cb[i].applied, 2 * (i + 1));
                assert_int_equal(cb[i].digest, dig[cb[i].applied]);
        }
        mutate_range(b, S, N, NULL);
        assert_int_equal(bl_kv_digest(b), dig[N]);
        /* From the snapshot on, the same checkpoints as a. */
        nb = bl_kv_checkpoints(b, &cb);
        for (size_t i = 0; i < nb; i++) {
                assert_int_equal(cb[i].applied % 8, 0);
                assert_int_equal(cb[i].digest, dig[cb[i].applied]);
                assert_true(cb[i].applied <= OWN || cb[i].applied > S);
        }
        assert_int_equal(cb[nb - 1].applied, N);

        /* A restore into a fresh store (crash recovery) has nothing below. */
        bl_kv_destroy(b);
        b = new_kv(0, 1, 100);
        assert_int_equal(bl_kv_restore(b, snap, len), 0);
        assert_int_equal(bl_kv_checkpoints(b, &cb), 0);
        bl_free(snap);
        bl_kv_destroy(a);
        bl_kv_destroy(b);
        free(dig);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_shard_of),        cmocka_unit_test(test_preload),
            cmocka_unit_test(test_apply_semantics), cmocka_unit_test(test_dedup),
            cmocka_unit_test(test_digest),          cmocka_unit_test(test_snapshot_roundtrip),
            cmocka_unit_test(test_restore_bad),     cmocka_unit_test(test_reset),
            cmocka_unit_test(test_growth),          cmocka_unit_test(test_oom),
            cmocka_unit_test(test_checkpoints),     cmocka_unit_test(test_checkpoints_restore),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
