/* Unit tests for the Two-Phase Commit layer (kernels/twopc), on an in-process cluster. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/wire.h"
#include "twopc_harness.h"

#define R(k)    ((struct bl_tpc_op){BL_TXS_READ, (k), 0})
#define W(k, v) ((struct bl_tpc_op){BL_TXS_WRITE, (k), (v)})
#define A(k, d) ((struct bl_tpc_op){BL_TXS_ADD, (k), (uint64_t)(int64_t)(d)})
#define P(k, v) ((struct bl_tpc_op){BL_TXS_APPEND, (k), (v)})
#define BEGIN(h, rank, id, ...)                                                                    \
        begin_ops(                                                                                 \
            (h), (rank), (id), (const struct bl_tpc_op[]){__VA_ARGS__},                            \
            (uint32_t)(sizeof((struct bl_tpc_op[]){__VA_ARGS__}) / sizeof(struct bl_tpc_op)))

static int begin_ops(struct h *h, int rank, uint64_t id, const struct bl_tpc_op *ops, uint32_t n)
{
        struct bl_tpc_txn x = {.id = id, .ts = id, .cookie = id * 10, .nops = n, .ops = ops};

        return bl_tpc_begin(h->tpc[rank], &x);
}

/* 2pc/none: rank 0 (and the last rank) coordinate; shard s lives on rank s + 1. */
static struct h *none_cluster(int nshards, int cc)
{
        struct h *h = h_new(nshards + 2, nshards, 0, cc);

        for (int s = 0; s < nshards; s++)
                h_add_replica(h, s, s + 1);
        h_start(h);
        return h;
}

/* Replicated: shard 0 on ranks 0 (leader) and 1, shard 1 on ranks 2 (leader) and 3. */
static struct h *repl_cluster(int cc)
{
        struct h *h = h_new(4, 2, 1, cc);

        h_add_replica(h, 0, 0);
        h_add_replica(h, 0, 1);
        h_add_replica(h, 1, 2);
        h_add_replica(h, 1, 3);
        h_start(h);
        return h;
}

static struct bl_tpc_stats stats(const struct h *h, int r)
{
        struct bl_tpc_stats st;

        bl_tpc_stats(h->tpc[r], &st);
        return st;
}

static const struct hres *assert_outcome(const struct h *h, uint64_t id, int outcome, int reason)
{
        const struct hres *r = h_result(h, id);

        if (r == NULL)
                fail_msg("txn %llu reported %d times, want once", (unsigned long long)id,
                         h_count_results(h, id));
        assert_int_equal(r->outcome, outcome);
        assert_int_equal(r->reason, reason);
        assert_int_equal(r->cookie, id * 10);
        return r;
}

/* Every replica of shard s holds txn in `state`. */
static void assert_all(const struct h *h, int s, uint64_t txn, int state)
{
        for (int i = 0; i < h->nmembers[s]; i++)
                assert_int_equal(h_state(h, s, h->members[s][i], txn), state);
}

static void assert_list(const struct bl_txs *st, uint64_t key, const uint64_t *want, size_t n)
{
        const uint64_t *list;

        assert_int_equal(bl_txs_list(st, key, &list), n);
        for (size_t i = 0; i < n; i++)
                assert_int_equal(list[i], want[i]);
}

/* Index of the first sent message of type to shard, or -1. */
static int sent_at(const struct h *h, int type, uint32_t shard)
{
        for (int i = 0; i < h->nsent; i++)
                if (h->sent[i].type == type && h->sent[i].shard == shard)
                        return i;
        return -1;
}

/* ---- 2pc/none ---- */

static void test_commit_reads_three_shards(void **state)
{
        struct h *h = none_cluster(3, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0), k2 = h_key(h, 2, 0);
        const struct hres *r;
        int w1, v1, p0, v0, p2;

        (void)state;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 7), P(k1, 11), A(k2, 5)), 0);
        h_settle(h);
        r = assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(r->nshards, 3);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 7);
        assert_list(h->store[1][2], k1, (uint64_t[]){11}, 1);
        assert_int_equal(bl_txs_value(h->store[2][3], k2), 105);
        assert_int_equal(h->nwal[0], 2); /* the decision, then its end once acknowledged */
        assert_int_equal(stats(h, 0).active, 0);
        assert_int_equal(stats(h, 0).unacked, 0);

        /* Reads in the transaction's order. Shards 0 and 2 only read: shard
         * 0 is prepared with the writer and keeps its locks; shard 2, the
         * last, is prepared once both voted, with early release. */
        h->nsent = 0;
        assert_int_equal(BEGIN(h, 0, 2, R(k1), P(k1, 12), R(k0), R(k2), R(k1)), 0);
        h_settle(h);
        r = assert_outcome(h, 2, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_true(r->has_reads);
        assert_int_equal(r->list_len[0], 1);
        assert_int_equal(r->list[0][0], 11);
        assert_int_equal(r->value[2], 7);
        assert_int_equal(r->value[3], 105);
        assert_int_equal(r->list_len[4], 1); /* the committed prefix; own append follows */
        assert_int_equal(r->nshards, 1);
        assert_int_equal(r->shards[0], 1);
        assert_list(h->store[1][2], k1, (uint64_t[]){11, 12}, 2);
        w1 = sent_at(h, BL_TPC_PREPARE, 1);
        v1 = sent_at(h, BL_TPC_VOTE, 1);
        p0 = sent_at(h, BL_TPC_PREPARE, 0);
        v0 = sent_at(h, BL_TPC_VOTE, 0);
        p2 = sent_at(h, BL_TPC_PREPARE, 2);
        assert_true(w1 >= 0 && p0 >= 0 && w1 < v1 && p0 < v1 && v1 < p2 && v0 < p2);
        assert_int_equal(h->sent[w1].flags, 0);
        assert_int_equal(h->sent[p0].flags, 0);
        assert_int_equal(h->sent[p2].flags, BL_TXS_RELEASE_READS);
        assert_int_equal(h_state(h, 0, 1, 2), BL_TXS_READ_DONE);
        assert_int_equal(h_state(h, 2, 3, 2), BL_TXS_READ_DONE);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, 0), 1); /* releases its read locks */
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, 2), 0);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, 1), 1);
        assert_int_equal(stats(h, 0).committed, 2);
        h_free(h);
}

static void test_no_vote_lock_releases(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        struct bl_txs_op fw = {BL_TXS_WRITE, k1, 1};

        (void)state;
        /* Another coordinator's transaction holds k1. */
        h_log_cmd(h, 1,
                  &(struct bl_txs_cmd){.type = BL_TXS_CMD_PREPARE,
                                       .txn = 99,
                                       .ts = 99,
                                       .coord = 3,
                                       .nops = 1,
                                       .ops = &fw});
        h_settle(h);
        assert_int_equal(h_state(h, 1, 2, 99), BL_TXS_PREPARED);
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_LOCK);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED); /* the YES shard released */
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_ABORTED);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 100);
        assert_int_equal(h->nwal[0], 0); /* presumed abort: nothing logged */
        assert_int_equal(stats(h, 0).aborted[BL_TPC_A_LOCK], 1);
        /* k0's lock is free again. */
        assert_int_equal(BEGIN(h, 0, 2, W(k0, 8)), 0);
        h_settle(h);
        assert_outcome(h, 2, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 8);
        h_free(h);
}

static void test_no_vote_constraint(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);

        (void)state;
        assert_int_equal(BEGIN(h, 0, 1, A(k0, 50), A(k1, -200)), 0);
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_VOTE);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 100);
        assert_int_equal(bl_txs_value(h->store[1][2], k1), 100);
        h_free(h);
}

/* Test-side encoders, to inject messages. */
static size_t enc_prepare(uint8_t *b, size_t cap, uint64_t txn, uint32_t coord, uint8_t flags,
                          uint32_t shard, uint32_t nops, const struct bl_tpc_op *ops)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, b, cap);
        bl_put_u64(&w, txn);
        bl_put_u64(&w, txn);
        bl_put_u32(&w, coord);
        bl_put_u8(&w, flags);
        bl_put_u32(&w, shard);
        bl_put_u32(&w, nops);
        for (uint32_t i = 0; i < nops; i++) {
                bl_put_u8(&w, ops[i].kind);
                bl_put_u64(&w, ops[i].key);
                bl_put_u64(&w, ops[i].arg);
        }
        assert_true(w.ok);
        return w.len;
}

static size_t enc_decide(uint8_t *b, uint64_t txn, uint32_t shard, uint8_t commit)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, b, 13);
        bl_put_u64(&w, txn);
        bl_put_u32(&w, shard);
        bl_put_u8(&w, commit);
        return w.len;
}

static size_t enc_query(uint8_t *b, uint64_t txn, uint32_t shard, uint32_t coord)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, b, 16);
        bl_put_u64(&w, txn);
        bl_put_u32(&w, shard);
        bl_put_u32(&w, coord);
        return w.len;
}

static void test_timeout_abort_and_late_prepare(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        struct bl_tpc_op ops1[] = {W(k1, 6)};
        uint8_t buf[128];
        size_t n;

        (void)state;
        h->cut[0][2] = 1; /* shard 1 never hears of it */
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_rounds(h, 45);
        assert_int_equal(h_count_results(h, 1), 0);
        assert_true(h_count_sent(h, BL_TPC_PREPARE, 1) >= 4); /* resent every retry_ns */
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_PREPARED);
        h_rounds(h, 10);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_TIMEOUT);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED);
        assert_int_equal(stats(h, 0).unacked, 1); /* shard 1 never answered */
        h->cut[0][2] = 0;
        h_rounds(h, 15);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_ABORTED); /* presumed abort recorded */
        assert_int_equal(stats(h, 0).unacked, 0);
        assert_int_equal(stats(h, 0).active, 0);
        /* The PREPARE that was in flight arrives late: NO, no lock taken. */
        n = enc_prepare(buf, sizeof(buf), 1, 0, 0, 1, 1, ops1);
        assert_int_equal(bl_tpc_recv(h->tpc[2], 0, BL_TPC_PREPARE, buf, n), 0);
        h_settle(h);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_ABORTED);
        assert_int_equal(BEGIN(h, 0, 2, W(k1, 9)), 0);
        h_settle(h);
        assert_outcome(h, 2, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(bl_txs_value(h->store[1][2], k1), 9);
        h_free(h);
}

static void test_wait_die_vote_ready(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_WAIT_DIE);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        struct bl_txs_op fw = {BL_TXS_WRITE, k1, 1};
        const struct hres *r;
        struct bl_tpc_txn x;
        struct bl_tpc_op ops[] = {W(k0, 1), R(k1), W(k1, 2)};

        (void)state;
        /* A younger transaction of another coordinator holds k1. */
        h_log_cmd(h, 1,
                  &(struct bl_txs_cmd){.type = BL_TXS_CMD_PREPARE,
                                       .txn = 99,
                                       .ts = 1000,
                                       .coord = 3,
                                       .nops = 1,
                                       .ops = &fw});
        h_settle(h);
        x = (struct bl_tpc_txn){.id = 5, .ts = 10, .cookie = 50, .nops = 3, .ops = ops};
        assert_int_equal(bl_tpc_begin(h->tpc[0], &x), 0);
        h_rounds(h, 15); /* resends while it waits change nothing */
        assert_int_equal(h_count_results(h, 5), 0);
        assert_int_equal(h_state(h, 1, 2, 5), BL_TXS_WAITING);
        h_log_cmd(h, 1, &(struct bl_txs_cmd){.type = BL_TXS_CMD_DECIDE, .txn = 99, .commit = 0});
        h_settle(h); /* granted: the vote goes out from bl_tpc_vote_ready */
        r = assert_outcome(h, 5, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_true(r->has_reads);
        assert_int_equal(r->value[1], 100);
        assert_int_equal(bl_txs_value(h->store[1][2], k1), 2);
        h_free(h);
}

static void test_coordinator_crash_blocks_then_presumed_abort(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        struct bl_txs_stats ts;

        (void)state;
        h->auto_durable = 0;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_rounds(h, 3);
        /* Decided commit, logged, not durable: nothing sent, nothing reported. */
        assert_int_equal(h->nwal[0], 1);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, -1), 0);
        assert_int_equal(h_count_results(h, 1), 0);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_PREPARED);
        h_crash(h, 0);
        h->auto_durable = 1;
        h_rounds(h, 100);
        /* Blocked: prepared, asking, nobody answers, locks held. */
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_PREPARED);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_PREPARED);
        assert_true(stats(h, 1).queries_sent >= 3);
        assert_true(stats(h, 2).queries_sent >= 3);
        assert_int_equal(BEGIN(h, 3, 2, W(k0, 9)), 0);
        h_settle(h);
        assert_outcome(h, 2, BL_TPC_ABORTED, BL_TPC_A_LOCK);
        /* Recovery: nothing durable, so the QUERYs get presumed abort. */
        assert_int_equal(h_recover(h, 0), 0);
        h_rounds(h, 25);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_ABORTED);
        assert_true(stats(h, 0).queries_answered >= 2);
        assert_int_equal(h_count_results(h, 1), 0); /* its client died with it */
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 100);
        bl_txs_stats(h->store[0][1], &ts);
        assert_int_equal(ts.blocked_n, 1);
        assert_true(ts.blocked_max_ns >= 100 * h->dt);
        h_free(h);
}

static void test_coordinator_crash_after_durable_commit(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        uint8_t buf[16];
        int before;

        (void)state;
        h->auto_durable = 0;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_settle(h);
        h->cut[0][1] = h->cut[0][2] = 1; /* the DECIDEs will be lost */
        h->auto_durable = 1;
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_PREPARED);
        h_crash(h, 0);
        assert_int_equal(h->nwal[0], 1);
        h->cut[0][1] = h->cut[0][2] = 0;
        assert_int_equal(h_recover(h, 0), 0);
        assert_int_equal(h->ev[BL_EV_TPC_RECOVER], 1);
        h_settle(h); /* start() resent the DECIDEs */
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_COMMITTED);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_COMMITTED);
        assert_int_equal(bl_txs_value(h->store[1][2], k1), 6);
        assert_int_equal(h->nwal[0], 2); /* END once both acknowledged */
        assert_int_equal(stats(h, 0).unacked, 0);
        /* Its client, having lost the report, resends it: reported from the log. */
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        assert_int_equal(h_count_results(h, 1), 2);
        assert_int_equal(h->res[1].outcome, BL_TPC_COMMITTED);
        /* Again: no resend now, but a QUERY still gets commit. */
        h_crash(h, 0);
        assert_int_equal(h_recover(h, 0), 0);
        before = h_count_sent(h, BL_TPC_DECIDE, -1);
        h_settle(h);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, -1), before);
        assert_int_equal(bl_tpc_recv(h->tpc[0], 1, BL_TPC_QUERY, buf, enc_query(buf, 1, 0, 0)), 0);
        h_settle(h);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, -1), before + 1);
        assert_int_equal(h->sent[h->nsent - 2].type, BL_TPC_DECIDE);
        assert_int_equal(stats(h, 0).queries_answered, 1);
        /* And one it never logged gets abort. */
        assert_int_equal(bl_tpc_recv(h->tpc[0], 1, BL_TPC_QUERY, buf, enc_query(buf, 77, 0, 0)), 0);
        h_settle(h);
        assert_int_equal(h_state(h, 0, 1, 77), BL_TXS_ABORTED);
        h_free(h);
}

static void test_duplicates_idempotent(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        uint8_t buf[16];
        struct bl_txs_stats ts;

        (void)state;
        h->dup = 1;
        assert_int_equal(BEGIN(h, 0, 1, A(k0, 5), P(k1, 3), R(k1)), 0);
        h_rounds(h, 30);
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 105);
        assert_list(h->store[1][2], k1, (uint64_t[]){3}, 1);
        bl_txs_stats(h->store[0][1], &ts);
        assert_int_equal(ts.committed, 1);
        /* A late DECIDE is acknowledged from the store, changing nothing. */
        h->dup = 0;
        assert_int_equal(bl_tpc_recv(h->tpc[1], 0, BL_TPC_DECIDE, buf, enc_decide(buf, 1, 0, 1)),
                         0);
        h_settle(h);
        assert_int_equal(h->sent[h->nsent - 1].type, BL_TPC_ACK);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 105);
        assert_int_equal(h->recv_errors, 0);
        h_free(h);
}

/* A flagged read-only participant whose vote was lost releases its reads
 * at once; the coordinator's abort (timeout) reaches it later, and its
 * acknowledgement of the abort counts. */
static void test_read_only_released_acks_abort(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        int ack;

        (void)state;
        h->cut[2][0] = 1; /* shard 1's votes and ACKs are lost */
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), R(k1)), 0);
        h_rounds(h, 55);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_TIMEOUT);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_READ_DONE);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED);
        assert_int_equal(stats(h, 0).unacked, 1);
        h->cut[2][0] = 0;
        h_rounds(h, 12);
        ack = h->nsent - 1;
        while (ack >= 0 && h->sent[ack].type != BL_TPC_ACK)
                ack--;
        assert_true(ack >= 0);
        assert_int_equal(stats(h, 0).unacked, 0);
        assert_int_equal(stats(h, 0).active, 0);
        h_free(h);
}

/* A client resends a transaction whose report it lost, with the same id. */
static void test_resend_reported(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);

        (void)state;
        h->auto_durable = 0;
        assert_int_equal(BEGIN(h, 0, 1, A(k0, 5), A(k1, -5)), 0);
        h_settle(h);
        h->cut[2][0] = 1; /* shard 1's ACK is lost: the coordinator still finishes */
        h->auto_durable = 1;
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(BEGIN(h, 0, 1, A(k0, 5), A(k1, -5)), 0);
        assert_int_equal(h_count_results(h, 1), 2);
        assert_int_equal(h->res[1].outcome, BL_TPC_COMMITTED);
        h->cut[2][0] = 0;
        h_rounds(h, 12);
        assert_int_equal(stats(h, 0).active, 0);
        assert_int_equal(stats(h, 0).unacked, 0);
        /* Forgotten now, but its commit is logged: reported from the log. */
        assert_int_equal(BEGIN(h, 0, 1, A(k0, 5), A(k1, -5)), 0);
        assert_int_equal(h_count_results(h, 1), 3);
        assert_int_equal(h->res[2].outcome, BL_TPC_COMMITTED);
        assert_int_equal(h->res[2].nshards, 2);
        h_settle(h);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 105); /* applied once */
        assert_int_equal(bl_txs_value(h->store[1][2], k1), 95);
        h_free(h);
}

static void test_read_only_single_shard(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k0b = h_key(h, 0, 1);
        const struct hres *r;

        (void)state;
        assert_int_equal(BEGIN(h, 0, 1, R(k0), R(k0b)), 0);
        h_settle(h);
        r = assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_true(r->has_reads);
        assert_int_equal(r->value[0], 100);
        assert_int_equal(r->nshards, 0);
        assert_int_equal(h->sent[0].flags, BL_TXS_RELEASE_READS);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_READ_DONE);
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, -1), 0);
        assert_int_equal(h->nwal[0], 0);
        h_free(h);
}

static void test_read_only_all_shards(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        int v;

        (void)state;
        h->cut[0][1] = h->cut[0][2] = 0;
        h->hold[0] = h->hold[1] = 1;
        assert_int_equal(BEGIN(h, 0, 1, R(k0), R(k1)), 0);
        h_settle(h);
        /* Both prepared at once, both keep their locks. */
        assert_int_equal(h->nsent, 2);
        assert_int_equal(h->sent[0].flags, 0);
        assert_int_equal(h->sent[1].flags, 0);
        h->hold[0] = h->hold[1] = 0;
        h_settle(h);
        v = sent_at(h, BL_TPC_VOTE, 0);
        assert_true(v > 1);
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(h->nwal[0], 0); /* nothing written, nothing logged */
        assert_int_equal(h_count_sent(h, BL_TPC_DECIDE, -1), 2); /* releases the read locks */
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_READ_DONE);
        assert_int_equal(h_state(h, 1, 2, 1), BL_TXS_READ_DONE);
        h_free(h);
}

static void test_begin_refused(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        struct bl_tpc_op bad = {9, 1, 0};
        struct bl_tpc_txn x = {.id = 1, .nops = 0, .ops = &bad};

        (void)state;
        assert_int_equal(bl_tpc_begin(h->tpc[0], &x), BL_EINVAL);
        x.nops = 1;
        assert_int_equal(bl_tpc_begin(h->tpc[0], &x), BL_EINVAL);
        x.nops = BL_TXS_MAX_OPS + 1;
        assert_int_equal(bl_tpc_begin(h->tpc[0], &x), BL_EINVAL);
        h->hold[0] = h->hold[1] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(h_key(h, 0, 0), 1)), 0);
        assert_int_equal(BEGIN(h, 0, 1, W(h_key(h, 1, 0), 1)), BL_EEXIST);
        assert_int_equal(stats(h, 0).active, 1);
        h_free(h); /* forgets the transaction in flight */
}

/* A message of the right type but wrong content is refused and counted. */
static void refuse(struct h *h, int r, int type, const void *buf, size_t len)
{
        uint64_t before = stats(h, r).malformed;

        assert_int_equal(bl_tpc_recv(h->tpc[r], 0, type, buf, len), BL_EPROTO);
        assert_int_equal(stats(h, r).malformed, before + 1);
}

static void test_malformed_refused(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        struct bl_tpc_op good[] = {W(k0, 1)}, other[] = {W(k1, 1)}, badkind[] = {{7, k0, 0}};
        uint8_t b[256], v[64];
        struct bl_wbuf w;
        size_t n;

        (void)state;
        n = enc_prepare(b, sizeof(b), 1, 0, 0, 0, 1, good);
        refuse(h, 1, BL_TPC_PREPARE, b, n - 1);
        b[n] = 0;
        refuse(h, 1, BL_TPC_PREPARE, b, n + 1);
        refuse(h, 1, BL_TPC_PREPARE, b, enc_prepare(b, sizeof(b), 1, 0, 2, 0, 1, good));
        refuse(h, 1, BL_TPC_PREPARE, b, enc_prepare(b, sizeof(b), 1, 0, 0, 5, 1, good));
        refuse(h, 1, BL_TPC_PREPARE, b, enc_prepare(b, sizeof(b), 1, 0, 0, 0, 1, other));
        refuse(h, 1, BL_TPC_PREPARE, b, enc_prepare(b, sizeof(b), 1, 0, 0, 0, 1, badkind));
        refuse(h, 1, BL_TPC_PREPARE, b, enc_prepare(b, sizeof(b), 1, 0, 0, 0, 0, good));
        /* nops claims more than the bytes */
        n = enc_prepare(b, sizeof(b), 1, 0, 0, 0, 1, good);
        b[25] = 0xff;
        refuse(h, 1, BL_TPC_PREPARE, b, n);

        /* VOTE: u64 txn, u32 shard, u8 vote, u8 reason, u32 nreads, reads */
#define VOTE(vote, reason, nreads)                                                                 \
        (bl_wbuf_init(&w, v, sizeof(v)), bl_put_u64(&w, 1), bl_put_u32(&w, 0),                     \
         bl_put_u8(&w, (vote)), bl_put_u8(&w, (reason)), bl_put_u32(&w, (nreads)))
        VOTE(BL_TXS_PENDING, 0, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(9, 0, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_NO, BL_TXS_R_NONE, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_NO, BL_TXS_R__COUNT, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_YES, BL_TXS_R_LOCK, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_YES, 0, 1000000);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_YES, 0, 1);
        bl_put_u64(&w, 5);
        bl_put_u32(&w, 0x7fffffff); /* a list longer than the message */
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
        VOTE(BL_TXS_YES, 0, 1);
        bl_put_u64(&w, 5);
        bl_put_u32(&w, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len + 1);
        /* shard out of range */
        VOTE(BL_TXS_YES, 0, 0);
        v[8] = 9;
        refuse(h, 0, BL_TPC_VOTE, v, w.len);
#undef VOTE

        n = enc_decide(b, 1, 0, 2);
        refuse(h, 1, BL_TPC_DECIDE, b, n);
        refuse(h, 0, BL_TPC_ACK, b, n);
        n = enc_decide(b, 1, 7, 1);
        refuse(h, 1, BL_TPC_DECIDE, b, n);
        n = enc_decide(b, 1, 0, 1);
        refuse(h, 1, BL_TPC_DECIDE, b, n - 1);
        refuse(h, 0, BL_TPC_ACK, b, n + 1);
        n = enc_query(b, 1, 3, 0);
        refuse(h, 0, BL_TPC_QUERY, b, n);
        n = enc_query(b, 1, 0, 0);
        refuse(h, 0, BL_TPC_QUERY, b, n - 4);
        refuse(h, 0, BL_TPC_MSG__COUNT, b, n);
        refuse(h, 0, -1, b, n);
        refuse(h, 0, BL_TPC_QUERY, NULL, 0);

        /* A VOTE whose reads do not match the PREPARE. */
        h->hold[0] = h->hold[1] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 1), R(k0)), 0);
        bl_wbuf_init(&w, v, sizeof(v));
        bl_put_u64(&w, 1);
        bl_put_u32(&w, 0);
        bl_put_u8(&w, BL_TXS_YES);
        bl_put_u8(&w, 0);
        bl_put_u32(&w, 1);
        bl_put_u64(&w, 0);
        bl_put_u32(&w, 0);
        refuse(h, 0, BL_TPC_VOTE, v, w.len);

        /* Nothing of the refused messages reached a store. */
        h->hold[0] = h->hold[1] = 0;
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(h_state(h, 1, 2, 1), -1);
        h_free(h);
}

static void test_replay_refuses_malformed(void **state)
{
        struct h *h = none_cluster(2, BL_TXS_NO_WAIT);
        uint8_t b[64];
        struct bl_wbuf w;

        (void)state;
        bl_wbuf_init(&w, b, sizeof(b));
        bl_put_u64(&w, 1);
        bl_put_u8(&w, 1);
        bl_put_u32(&w, 1);
        bl_put_u32(&w, 0);
        assert_int_equal(bl_tpc_replay(h->tpc[0], 1, BL_TPC_REC_DECISION, b, w.len), 0);
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_DECISION, b, w.len - 1), BL_EPROTO);
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_DECISION, b, w.len + 1), BL_EPROTO);
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, 7, b, w.len), BL_EPROTO);
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_END, b, 7), BL_EPROTO);
        b[8] = 2; /* commit flag */
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_DECISION, b, w.len), BL_EPROTO);
        b[8] = 1;
        b[13] = 9; /* shard */
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_DECISION, b, w.len), BL_EPROTO);
        b[9] = 3; /* more shards than the run has */
        assert_int_equal(bl_tpc_replay(h->tpc[0], 2, BL_TPC_REC_DECISION, b, w.len), BL_EPROTO);
        h_free(h);
}

/* Allocation failures inside the commit layer's own calls: refused with
 * BL_ENOMEM (or NULL), nothing half-done, nothing leaked (ASan), and the
 * next try works. */
static void test_allocation_failures(void **state)
{
        struct h *h = none_cluster(3, BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0), k2 = h_key(h, 2, 0);
        uint8_t rec[64];
        struct bl_wbuf w;
        int n, rc = BL_ENOMEM;

        (void)state;
        for (n = 1; rc == BL_ENOMEM && n < 100; n++) {
                bl_alloc_fail_after(n);
                rc = BEGIN(h, 0, 1, W(k0, 1), R(k1), P(k2, 3), R(k2));
                bl_alloc_fail_after(0);
                if (rc == BL_ENOMEM) {
                        assert_int_equal(stats(h, 0).active, 0);
                        assert_int_equal(h->nsent, 0);
                }
        }
        assert_int_equal(rc, 0);
        assert_true(n > 3); /* some allocations did fail */
        h_rounds(h, 15);    /* a PREPARE not sent for want of memory is resent */
        assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);

        /* A new object after a crash, and its replay. */
        bl_wbuf_init(&w, rec, sizeof(rec));
        bl_put_u64(&w, 9);
        bl_put_u8(&w, 1);
        bl_put_u32(&w, 1);
        bl_put_u32(&w, 0);
        h_crash(h, 0);
        for (n = 1;; n++) {
                bl_alloc_fail_after(n);
                h->tpc[0] = h_make(h, 0);
                rc = h->tpc[0] != NULL
                         ? bl_tpc_replay(h->tpc[0], 1, BL_TPC_REC_DECISION, rec, w.len)
                         : BL_ENOMEM;
                bl_alloc_fail_after(0);
                if (rc == 0)
                        break;
                assert_int_equal(rc, BL_ENOMEM);
                bl_tpc_destroy(h->tpc[0]);
                h->tpc[0] = NULL;
        }
        assert_true(n > 1);
        h->up[0] = 1;
        bl_tpc_start(h->tpc[0]);
        h_settle(h); /* the replayed decision's DECIDE: shard 0 never prepared 9 */
        assert_int_equal(stats(h, 0).unacked, 1);
        h_free(h);
}

/* ---- replicated ---- */

static void test_repl_commit(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        const struct hres *r;

        (void)state;
        assert_int_equal(BEGIN(h, 1, 1, W(k0, 5), R(k1)), BL_ENOTLEADER);
        assert_int_equal(BEGIN(h, 2, 1, W(k0, 5), R(k1)), BL_ENOTLEADER);
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), P(k1, 4), R(k1)), 0);
        h_settle(h);
        r = assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_true(r->has_reads);
        assert_int_equal(r->list_len[2], 0);
        assert_all(h, 0, 1, BL_TXS_COMMITTED);
        assert_all(h, 1, 1, BL_TXS_COMMITTED);
        assert_int_equal(bl_txs_digest(h->store[0][0]), bl_txs_digest(h->store[0][1]));
        assert_int_equal(bl_txs_digest(h->store[1][2]), bl_txs_digest(h->store[1][3]));
        assert_int_equal(h->nwal[0], 0); /* the log is the first shard's group */
        /* The first shard read-only: prepared with the writers, without the
         * flag (it holds the decision), and keeps its locks until DECIDE. */
        h->nsent = 0;
        assert_int_equal(BEGIN(h, 0, 2, R(k0), W(k1, 8)), 0);
        h_settle(h);
        r = assert_outcome(h, 2, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_int_equal(r->value[0], 5);
        assert_int_equal(h->sent[0].flags, 0);
        assert_int_equal(h->sent[1].flags, 0);
        assert_all(h, 0, 2, BL_TXS_READ_DONE);
        assert_all(h, 1, 2, BL_TXS_COMMITTED);
        h_free(h);
}

static void test_repl_coordinator_loses_leadership(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        uint8_t b[16];
        uint64_t before;

        (void)state;
        h->hold_decide[0] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_settle(h); /* decided commit; its DECIDE waits in shard 0's log */
        assert_int_equal(h_count_results(h, 1), 0);
        /* A participant asking the coordinator gets no answer while it decides. */
        before = stats(h, 0).queries_answered;
        assert_int_equal(bl_tpc_recv(h->tpc[0], 2, BL_TPC_QUERY, b, enc_query(b, 1, 1, 0)), 0);
        assert_int_equal(stats(h, 0).queries_answered, before);
        assert_int_equal(stats(h, 0).resolved_aborts, 0);
        /* Leadership moves; the entry is lost; the coordinator asks rank 1. */
        h_set_leader(h, 0, 1, 0);
        assert_int_equal(h->ev[BL_EV_TXN_ASK], 1);
        h_settle(h);
        assert_int_equal(stats(h, 1).resolved_aborts, 1);
        h->hold_decide[0] = 0;
        h_settle(h);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_FAILURE);
        assert_int_equal(h->ev[BL_EV_TXN_RESOLVED], 1);
        h_rounds(h, 5);
        assert_all(h, 0, 1, BL_TXS_ABORTED);
        assert_all(h, 1, 1, BL_TXS_ABORTED);
        assert_int_equal(bl_txs_value(h->store[1][3], k1), 100);
        assert_int_equal(stats(h, 0).unacked, 0);
        h_free(h);
}

static void test_repl_participant_resolves_dead_coordinator(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);

        (void)state;
        h->hold_decide[0] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_settle(h);
        h_crash(h, 0);
        h_set_leader(h, 0, 1, 0);
        h->hold_decide[0] = 0;
        h_rounds(h, 10);
        assert_all(h, 1, 1, BL_TXS_PREPARED); /* not yet query_ns */
        h_rounds(h, 15);
        /* Shard 1 asked the new leader of shard 0, which settled it. */
        assert_true(stats(h, 2).queries_sent >= 1);
        assert_int_equal(stats(h, 1).resolved_aborts, 1);
        assert_int_equal(h_state(h, 0, 1, 1), BL_TXS_ABORTED);
        assert_all(h, 1, 1, BL_TXS_ABORTED);
        assert_int_equal(h_count_results(h, 1), 0);
        h_free(h);
}

static void test_repl_race_commit_first(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        const struct hres *r;

        (void)state;
        h->hold_decide[0] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), R(k1), W(k1, 6)), 0);
        h_settle(h);
        /* Deposed, but its DECIDE commit stays in the log ahead of the
         * resolution's DECIDE abort. */
        h_set_leader(h, 0, 1, 1);
        h_settle(h);
        assert_int_equal(stats(h, 1).resolved_aborts, 1);
        h->hold_decide[0] = 0;
        h_settle(h);
        assert_int_equal(h->apply_einval, 1); /* the abort lost */
        r = assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        assert_true(r->has_reads);
        assert_int_equal(r->value[1], 100);
        h_rounds(h, 3);
        assert_all(h, 0, 1, BL_TXS_COMMITTED);
        assert_all(h, 1, 1, BL_TXS_COMMITTED);
        assert_int_equal(bl_txs_value(h->store[1][3], k1), 6);
        h_free(h);
}

static void test_repl_race_abort_first(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);
        const uint64_t *ids;

        (void)state;
        h->hold_decide[0] = 1;
        assert_int_equal(BEGIN(h, 0, 1, W(k0, 5), W(k1, 6)), 0);
        h_settle(h);
        h_set_leader(h, 0, 1, 0);
        h->cut[1][0] = 1; /* the answer to the coordinator is lost */
        h_settle(h);
        h->hold_decide[0] = 0;
        h_settle(h);
        assert_int_equal(h_state(h, 0, 0, 1), BL_TXS_ABORTED);
        assert_int_equal(h_count_results(h, 1), 0);
        /* Back as leader, the old coordinator proposes its commit again:
         * it comes second and loses. */
        h_set_leader(h, 0, 0, 0);
        h_rounds(h, 12);
        assert_int_equal(h->apply_einval, 1);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_FAILURE);
        h->cut[1][0] = 0;
        h_rounds(h, 3);
        assert_all(h, 0, 1, BL_TXS_ABORTED);
        assert_all(h, 1, 1, BL_TXS_ABORTED);
        assert_int_equal(bl_txs_commit_log(h->store[1][2], &ids), 0);
        assert_int_equal(bl_txs_commit_log(h->store[0][1], &ids), 0);
        h_free(h);
}

/* A transaction that only reads, on two shards. A new leader of the first
 * shard settles it by abort (releasing its read locks) while the second
 * shard has not prepared yet: the coordinator must not report the commit,
 * whose reads would not be one snapshot. */
static void test_repl_read_only_resolved_first(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);

        (void)state;
        h->hold[1] = 1;
        assert_int_equal(BEGIN(h, 0, 1, R(k0), R(k1)), 0);
        h_settle(h);
        assert_all(h, 0, 1, BL_TXS_READ_HELD);
        h_set_leader(h, 0, 1, 0);
        h_rounds(h, 25); /* rank 1 asks itself about it after query_ns, and settles it */
        assert_int_equal(stats(h, 1).resolved_aborts, 1);
        assert_all(h, 0, 1, BL_TXS_ABORTED);
        /* k0 is free for a writer meanwhile. */
        assert_int_equal(BEGIN(h, 1, 2, W(k0, 50)), 0);
        h_settle(h);
        assert_outcome(h, 2, BL_TPC_COMMITTED, BL_TPC_A_NONE);
        h->hold[1] = 0;
        h_rounds(h, 5);
        assert_outcome(h, 1, BL_TPC_ABORTED, BL_TPC_A_FAILURE);
        h_rounds(h, 5);
        assert_all(h, 1, 1, BL_TXS_ABORTED); /* its read locks released too */
        h_free(h);
}

/* Replicated: a resend after the coordinator forgot the transaction runs
 * it again; the participants' records make it a commit, without reads. */
static void test_repl_resend_forgotten(void **state)
{
        struct h *h = repl_cluster(BL_TXS_NO_WAIT);
        uint64_t k0 = h_key(h, 0, 0), k1 = h_key(h, 1, 0);

        (void)state;
        assert_int_equal(BEGIN(h, 0, 1, R(k0), A(k0, 5), A(k1, -5)), 0);
        h_settle(h);
        assert_true(assert_outcome(h, 1, BL_TPC_COMMITTED, BL_TPC_A_NONE)->has_reads);
        assert_int_equal(stats(h, 0).active, 0);
        assert_int_equal(BEGIN(h, 0, 1, R(k0), A(k0, 5), A(k1, -5)), 0);
        h_rounds(h, 3);
        assert_int_equal(h_count_results(h, 1), 2);
        assert_int_equal(h->res[1].outcome, BL_TPC_COMMITTED);
        assert_false(h->res[1].has_reads);
        assert_int_equal(bl_txs_value(h->store[0][1], k0), 105);
        assert_int_equal(bl_txs_value(h->store[1][3], k1), 95);
        assert_int_equal(stats(h, 0).unacked, 0);
        h_free(h);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_commit_reads_three_shards),
            cmocka_unit_test(test_no_vote_lock_releases),
            cmocka_unit_test(test_no_vote_constraint),
            cmocka_unit_test(test_timeout_abort_and_late_prepare),
            cmocka_unit_test(test_wait_die_vote_ready),
            cmocka_unit_test(test_coordinator_crash_blocks_then_presumed_abort),
            cmocka_unit_test(test_coordinator_crash_after_durable_commit),
            cmocka_unit_test(test_duplicates_idempotent),
            cmocka_unit_test(test_read_only_released_acks_abort),
            cmocka_unit_test(test_resend_reported),
            cmocka_unit_test(test_read_only_single_shard),
            cmocka_unit_test(test_read_only_all_shards),
            cmocka_unit_test(test_begin_refused),
            cmocka_unit_test(test_malformed_refused),
            cmocka_unit_test(test_replay_refuses_malformed),
            cmocka_unit_test(test_allocation_failures),
            cmocka_unit_test(test_repl_commit),
            cmocka_unit_test(test_repl_coordinator_loses_leadership),
            cmocka_unit_test(test_repl_participant_resolves_dead_coordinator),
            cmocka_unit_test(test_repl_race_commit_first),
            cmocka_unit_test(test_repl_race_abort_first),
            cmocka_unit_test(test_repl_read_only_resolved_first),
            cmocka_unit_test(test_repl_resend_forgotten),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
