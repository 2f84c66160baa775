/* Unit tests for Raft message encoding and validation (kernels/raft/encode.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/err.h"
#include "common/rng.h"
#include "common/wire.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/internal.h"
#include "kernels/raft/raft.h"

static size_t build_append(uint8_t *buf, size_t cap, uint32_t n, const uint64_t *terms)
{
        struct bl_raft_append_entries m = {
            .term = 5, .prev_index = 10, .prev_term = 2, .commit = 9, .seq = 3, .n = n};
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_raft_put_append_entries(&w, &m);
        for (uint32_t i = 0; i < n; i++)
                bl_raft_put_entry(&w, terms[i], BL_RAFT_ENTRY_CMD, "abc", 3);
        assert_true(w.ok);
        return w.len;
}

static void test_append_entries_roundtrip(void **state)
{
        uint8_t buf[512];
        uint64_t terms[] = {2, 3, 5};
        size_t len = build_append(buf, sizeof(buf), 3, terms);
        struct bl_raft_append_entries m;
        struct bl_raft_wire_entry e;
        struct bl_rbuf r;

        (void)state;
        assert_int_equal(len, BL_RAFT_APPEND_ENTRIES_HEADER + 3 * (BL_RAFT_WIRE_ENTRY_HEADER + 3));
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), 0);
        assert_int_equal(m.term, 5);
        assert_int_equal(m.prev_index, 10);
        assert_int_equal(m.prev_term, 2);
        assert_int_equal(m.commit, 9);
        assert_int_equal(m.seq, 3);
        assert_int_equal(m.n, 3);
        bl_rbuf_init(&r, m.entries, m.entries_len);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(bl_raft_entries_next(&r, &e), 0);
                assert_int_equal(e.term, terms[i]);
                assert_int_equal(e.type, BL_RAFT_ENTRY_CMD);
                assert_int_equal(e.len, 3);
                assert_memory_equal(e.buf, "abc", 3);
        }
        assert_true(bl_rbuf_done(&r));
}

static void test_append_entries_huge_count_rejected(void **state)
{
        /* A header claiming 10^9 entries followed by almost nothing. */
        struct bl_raft_append_entries m = {
            .term = 5, .prev_index = 1, .prev_term = 1, .n = 1000000000u};
        uint8_t buf[BL_RAFT_APPEND_ENTRIES_HEADER + 20];
        struct bl_wbuf w;

        (void)state;
        memset(buf, 0, sizeof(buf));
        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_raft_put_append_entries(&w, &m);
        assert_int_equal(bl_raft_decode_append_entries(buf, sizeof(buf), &m), BL_EPROTO);
}

static void test_append_entries_bad_fields_rejected(void **state)
{
        uint8_t buf[512];
        struct bl_raft_append_entries m;
        uint64_t down[] = {3, 2}; /* terms decrease */
        uint64_t above[] = {6};   /* newer than the leader's term */
        uint64_t below[] = {1};   /* older than prev_term */
        size_t len;

        (void)state;
        len = build_append(buf, sizeof(buf), 2, down);
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), BL_EPROTO);
        len = build_append(buf, sizeof(buf), 1, above);
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), BL_EPROTO);
        len = build_append(buf, sizeof(buf), 1, below);
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), BL_EPROTO);
        /* Unknown entry type (byte 8 of the first entry). */
        len = build_append(buf, sizeof(buf), 1, (uint64_t[]){3});
        buf[BL_RAFT_APPEND_ENTRIES_HEADER + 8] = 99;
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), BL_EPROTO);
        /* An entry length running past the end. */
        len = build_append(buf, sizeof(buf), 1, (uint64_t[]){3});
        buf[BL_RAFT_APPEND_ENTRIES_HEADER + 9] = 200;
        assert_int_equal(bl_raft_decode_append_entries(buf, len, &m), BL_EPROTO);
        /* Trailing garbage. */
        len = build_append(buf, sizeof(buf), 1, (uint64_t[]){3});
        assert_int_equal(bl_raft_decode_append_entries(buf, len + 1, &m), BL_EPROTO);
}

/* Every strict prefix of a valid message is malformed. */
static void test_truncations_rejected(void **state)
{
        uint8_t buf[512];
        size_t len;
        struct bl_raft_append_entries ae;
        struct bl_raft_request_vote rv;
        struct bl_raft_append_entries_result aer;
        struct bl_raft_install_snapshot is;
        struct bl_raft_install_snapshot_result isr;
        struct bl_raft_request_vote_result rvr;
        struct bl_raft_timeout_now tn;

        (void)state;
        len = build_append(buf, sizeof(buf), 2, (uint64_t[]){3, 4});
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_append_entries(buf, k, &ae), BL_EPROTO);

        len = bl_raft_encode_request_vote(&(struct bl_raft_request_vote){4, 10, 3}, buf, 512);
        assert_int_equal(bl_raft_decode_request_vote(buf, len, &rv), 0);
        assert_int_equal(rv.last_index, 10);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_request_vote(buf, k, &rv), BL_EPROTO);

        len = bl_raft_encode_request_vote_result(&(struct bl_raft_request_vote_result){4, 1}, buf,
                                                 512);
        assert_int_equal(bl_raft_decode_request_vote_result(buf, len, &rvr), 0);
        assert_int_equal(rvr.granted, 1);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_request_vote_result(buf, k, &rvr), BL_EPROTO);
        buf[8] = 2; /* granted must be 0 or 1 */
        assert_int_equal(bl_raft_decode_request_vote_result(buf, len, &rvr), BL_EPROTO);

        len = bl_raft_encode_append_entries_result(
            &(struct bl_raft_append_entries_result){.term = 4,
                                                    .success = 0,
                                                    .match = 7,
                                                    .rejected = 9,
                                                    .conflict_term = 2,
                                                    .conflict_index = 5,
                                                    .seq = 1,
                                                    .req_term = 3},
            buf, 512);
        assert_int_equal(bl_raft_decode_append_entries_result(buf, len, &aer), 0);
        assert_int_equal(aer.conflict_index, 5);
        assert_int_equal(aer.req_term, 3);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_append_entries_result(buf, k, &aer), BL_EPROTO);
        /* The request's term: 1..term, and the term itself on success. */
        for (uint64_t rt = 0; rt <= 5; rt++) {
                for (uint8_t ok = 0; ok <= 1; ok++) {
                        len = bl_raft_encode_append_entries_result(
                            &(struct bl_raft_append_entries_result){.term = 4,
                                                                    .success = ok,
                                                                    .match = 7,
                                                                    .rejected = 9,
                                                                    .req_term = rt},
                            buf, 512);
                        assert_int_equal(bl_raft_decode_append_entries_result(buf, len, &aer),
                                         rt >= 1 && rt <= 4 && (!ok || rt == 4) ? 0 : BL_EPROTO);
                }
        }

        len = bl_raft_encode_install_snapshot(
            &(struct bl_raft_install_snapshot){.term = 4,
                                               .index = 50,
                                               .snap_term = 3,
                                               .seq = 2,
                                               .data = (const uint8_t *)"snapshot",
                                               .len = 8},
            buf, 512);
        assert_int_equal(bl_raft_decode_install_snapshot(buf, len, &is), 0);
        assert_int_equal(is.len, 8);
        assert_memory_equal(is.data, "snapshot", 8);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_install_snapshot(buf, k, &is), BL_EPROTO);

        len = bl_raft_encode_install_snapshot_result(
            &(struct bl_raft_install_snapshot_result){4, 50, 2, 4}, buf, 512);
        assert_int_equal(bl_raft_decode_install_snapshot_result(buf, len, &isr), 0);
        assert_int_equal(isr.req_term, 4);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_install_snapshot_result(buf, k, &isr), BL_EPROTO);
        for (uint64_t rt = 0; rt <= 5; rt++) {
                len = bl_raft_encode_install_snapshot_result(
                    &(struct bl_raft_install_snapshot_result){4, 0, 2, rt}, buf, 512);
                assert_int_equal(bl_raft_decode_install_snapshot_result(buf, len, &isr),
                                 rt >= 1 && rt <= 4 ? 0 : BL_EPROTO);
        }

        len = bl_raft_encode_timeout_now(&(struct bl_raft_timeout_now){4}, buf, 512);
        assert_int_equal(bl_raft_decode_timeout_now(buf, len, &tn), 0);
        for (size_t k = 0; k < len; k++)
                assert_int_equal(bl_raft_decode_timeout_now(buf, k, &tn), BL_EPROTO);
}

static void test_snapshot_length_lie_rejected(void **state)
{
        uint8_t buf[128];
        struct bl_raft_install_snapshot is;
        size_t len = bl_raft_encode_install_snapshot(
            &(struct bl_raft_install_snapshot){
                .term = 4, .index = 50, .snap_term = 3, .data = (const uint8_t *)"xy", .len = 2},
            buf, sizeof(buf));

        (void)state;
        /* Claim 2^40 bytes of snapshot data. */
        buf[32 + 5] = 1;
        assert_int_equal(bl_raft_decode_install_snapshot(buf, len, &is), BL_EPROTO);
}

static void test_encoders_refuse_small_buffers(void **state)
{
        uint8_t buf[8];

        (void)state;
        assert_int_equal(
            bl_raft_encode_request_vote(&(struct bl_raft_request_vote){1, 0, 0}, buf, 8), 0);
        assert_int_equal(bl_raft_encode_append_entries_result(
                             &(struct bl_raft_append_entries_result){.term = 1}, buf, 8),
                         0);
}

/* Random bytes of every message type never crash a decoder, and the kernel
 * answers them with BL_EPROTO or 0, never anything else. */
static uint64_t fz_now(void *c)
{
        (void)c;
        return 1;
}
static uint64_t fz_random(void *c)
{
        (void)c;
        return 7;
}
static void fz_send(void *c, int to, int type, const void *b, size_t l)
{
        (void)c, (void)to, (void)type, (void)b, (void)l;
}
static void fz_apply(void *c, const void *b, size_t l, uint64_t index, uint64_t tag)
{
        (void)c, (void)b, (void)l, (void)index, (void)tag;
}
static void fz_dropped(void *c, uint64_t tag)
{
        (void)c, (void)tag;
}
static uint64_t fz_persist(void *c, int type, const void *b, size_t l)
{
        static uint64_t seq; /* test-local counter */

        (void)c, (void)type, (void)b, (void)l;
        return ++seq;
}
static void fz_compact(void *c, uint64_t seq)
{
        (void)c, (void)seq;
}
static int fz_snapshot(void *c, void **b, size_t *l)
{
        (void)c, (void)b, (void)l;
        return BL_ENOMEM;
}
static int fz_restore(void *c, const void *b, size_t l)
{
        (void)c, (void)b, (void)l;
        return BL_EPROTO;
}
static void fz_event(void *c, int t, int64_t a, int64_t b)
{
        (void)c, (void)t, (void)a, (void)b;
}

static void test_fuzz_recv(void **state)
{
        struct bl_env env = {
            .now = fz_now,
            .random = fz_random,
            .send = fz_send,
            .apply = fz_apply,
            .dropped = fz_dropped,
            .snapshot = fz_snapshot,
            .restore = fz_restore,
            .event = fz_event,
            .persist = fz_persist,
            .compact = fz_compact,
        };
        struct bl_group g = {.shard = 0, .self = 0, .nmembers = 3};
        struct bl_config cfg;
        struct bl_rng rng;
        void *k;
        uint8_t buf[256];

        (void)state;
        memset(&cfg, 0, sizeof(cfg));
        cfg.raft.election_timeout_ms = 100;
        cfg.raft.heartbeat_ms = 10;
        k = bl_kernel_raft.create(&env, &g, &cfg);
        assert_non_null(k);
        bl_rng_seed(&rng, 1, 2);
        for (int i = 0; i < 20000; i++) {
                size_t len = bl_rng_below(&rng, sizeof(buf));
                int type = (int)bl_rng_below(&rng, BL_RAFT_MSG__COUNT + 1);
                int rc;

                for (size_t b = 0; b < len; b++)
                        buf[b] = (uint8_t)bl_rng_next(&rng);
                /* Small numbers in the first fields make decodable messages
                 * likelier than pure noise. */
                if (len >= 16 && (i & 1)) {
                        memset(buf + 1, 0, 7);
                        memset(buf + 9, 0, 7);
                }
                rc = bl_kernel_raft.recv(k, 1 + (int)bl_rng_below(&rng, 2), type, buf, len);
                assert_true(rc == 0 || rc == BL_EPROTO);
        }
        assert_int_equal(bl_kernel_raft.recv(k, 0, 0, buf, 0), BL_EPROTO); /* from self */
        assert_int_equal(bl_kernel_raft.recv(k, 3, 0, buf, 0), BL_EPROTO); /* no such member */
        assert_int_equal(bl_kernel_raft.recv(k, 1, BL_RAFT_MSG__COUNT, buf, 0), BL_EPROTO);
        bl_kernel_raft.destroy(k);
}

static void test_vtable(void **state)
{
        (void)state;
        assert_string_equal(bl_kernel_raft.name, "raft");
        assert_int_equal(bl_kernel_raft.kind, BL_KERNEL_REPLICATION);
        assert_int_equal(bl_kernel_raft.n_msg_types, BL_RAFT_MSG__COUNT);
        for (int i = 0; i < bl_kernel_raft.n_msg_types; i++)
                assert_non_null(bl_kernel_raft.msg_names[i]);
        assert_string_equal(bl_kernel_raft.msg_names[BL_RAFT_MSG_APPEND_ENTRIES], "append_entries");
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_append_entries_roundtrip),
            cmocka_unit_test(test_append_entries_huge_count_rejected),
            cmocka_unit_test(test_append_entries_bad_fields_rejected),
            cmocka_unit_test(test_truncations_rejected),
            cmocka_unit_test(test_snapshot_length_lie_rejected),
            cmocka_unit_test(test_encoders_refuse_small_buffers),
            cmocka_unit_test(test_fuzz_recv),
            cmocka_unit_test(test_vtable),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
