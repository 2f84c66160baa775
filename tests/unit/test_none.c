/* Unit tests of the none kernel: writes wait for durability, reads wait behind them, replay,
 * snapshots and compaction, malformed records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "config/config.h"
#include "kernels/none/internal.h"

extern const struct bl_kernel bl_kernel_none;

/*
 * A fake environment for one owner: a record store (persist, compact, what a
 * crash keeps), a toy state machine and a log of every apply. Commands are
 * short strings; "r..." is a read. The state machine is the sequence of
 * writes applied, so a snapshot is that sequence and a restore replaces it.
 */

#define MAX_RECS    256
#define MAX_APPLIES 512
#define CMD_MAX     16

struct rec {
        uint64_t seq;
        int type;
        size_t len;
        uint8_t buf[BL_NONE_SNAP_HEADER + MAX_APPLIES * CMD_MAX];
};

struct applied {
        char cmd[CMD_MAX];
        uint64_t index, tag;
};

struct fx {
        struct bl_config cfg;
        void *k;
        uint64_t seq; /* last sequence number handed out */
        struct rec recs[MAX_RECS];
        int n_recs;
        uint64_t compacted; /* highest compact() seq */
        int n_compacts;
        /* Toy state machine: writes applied, in order. */
        char sm[MAX_APPLIES][CMD_MAX];
        int n_sm;
        int restores;
        int fail_restore;
        /* Every apply() call. */
        struct applied log[MAX_APPLIES];
        int n_log;
};

static uint64_t fx_now(void *ctx)
{
        (void)ctx;
        return 0;
}

static uint64_t fx_random(void *ctx)
{
        (void)ctx;
        return 4;
}

static void fx_send(void *ctx, int to, int type, const void *buf, size_t len)
{
        (void)ctx;
        (void)to;
        (void)type;
        (void)buf;
        (void)len;
        fail_msg("the none kernel sent a message");
}

static void fx_apply(void *ctx, const void *cmd, size_t len, uint64_t index, uint64_t tag)
{
        struct fx *fx = ctx;
        struct applied *a = &fx->log[fx->n_log++];

        assert_true(fx->n_log <= MAX_APPLIES);
        assert_true(len < CMD_MAX);
        memset(a->cmd, 0, sizeof(a->cmd));
        memcpy(a->cmd, cmd, len);
        a->index = index;
        a->tag = tag;
        if (a->cmd[0] != 'r')
                memcpy(fx->sm[fx->n_sm++], a->cmd, CMD_MAX);
}

static void fx_dropped(void *ctx, uint64_t tag)
{
        (void)ctx;
        fail_msg("the none kernel dropped tag %llu", (unsigned long long)tag);
}

static int fx_snapshot(void *ctx, void **buf, size_t *len)
{
        struct fx *fx = ctx;

        *len = (size_t)fx->n_sm * CMD_MAX;
        *buf = bl_malloc(*len ? *len : 1);
        if (*buf == NULL)
                return BL_ENOMEM;
        memcpy(*buf, fx->sm, *len);
        return 0;
}

static int fx_restore(void *ctx, const void *buf, size_t len)
{
        struct fx *fx = ctx;

        if (fx->fail_restore || len % CMD_MAX != 0)
                return BL_EPROTO;
        memcpy(fx->sm, buf, len);
        fx->n_sm = (int)(len / CMD_MAX);
        fx->restores++;
        return 0;
}

static void fx_event(void *ctx, int type, int64_t a, int64_t b)
{
        (void)ctx;
        (void)type;
        (void)a;
        (void)b;
}

static uint64_t fx_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct fx *fx = ctx;
        struct rec *r = &fx->recs[fx->n_recs++];

        assert_true(fx->n_recs <= MAX_RECS);
        assert_true(len <= sizeof(r->buf));
        r->seq = ++fx->seq;
        r->type = type;
        r->len = len;
        memcpy(r->buf, buf, len);
        return r->seq;
}

static void fx_compact(void *ctx, uint64_t seq)
{
        struct fx *fx = ctx;
        int j = 0;

        for (int i = 0; i < fx->n_recs; i++)
                if (fx->recs[i].seq > seq)
                        fx->recs[j++] = fx->recs[i];
        fx->n_recs = j;
        if (seq > fx->compacted)
                fx->compacted = seq;
        fx->n_compacts++;
}

static void *fx_create(struct fx *fx)
{
        struct bl_env env = {
            .ctx = fx,
            .now = fx_now,
            .random = fx_random,
            .send = fx_send,
            .apply = fx_apply,
            .dropped = fx_dropped,
            .snapshot = fx_snapshot,
            .restore = fx_restore,
            .event = fx_event,
            .persist = fx_persist,
            .compact = fx_compact,
        };
        struct bl_group g = {.shard = 0, .self = 0, .nmembers = 1};

        return bl_kernel_none.create(&env, &g, &fx->cfg);
}

/* A fresh owner with a snapshot every `snap` writes. */
static void fx_init(struct fx *fx, int snap)
{
        memset(fx, 0, sizeof(*fx));
        bl_config_defaults(&fx->cfg);
        fx->cfg.none.snapshot_entries = snap;
        fx->k = fx_create(fx);
        assert_non_null(fx->k);
        bl_kernel_none.start(fx->k);
}

/* Crash: the instance and the state machine are gone, and so is every
 * record above `durable`. Recovery: a new instance replays the rest. */
static int fx_crash_recover(struct fx *fx, uint64_t durable)
{
        int rc = 0;

        bl_kernel_none.destroy(fx->k);
        while (fx->n_recs > 0 && fx->recs[fx->n_recs - 1].seq > durable)
                fx->n_recs--;
        fx->n_sm = 0;
        fx->n_log = 0;
        fx->k = fx_create(fx);
        assert_non_null(fx->k);
        for (int i = 0; i < fx->n_recs && rc == 0; i++)
                rc = bl_kernel_none.replay(fx->k, fx->recs[i].seq, fx->recs[i].type,
                                           fx->recs[i].buf, fx->recs[i].len);
        if (rc == 0)
                bl_kernel_none.start(fx->k);
        return rc;
}

static void fx_free(struct fx *fx)
{
        bl_kernel_none.destroy(fx->k);
        fx->k = NULL;
}

static int submit(struct fx *fx, const char *cmd, uint64_t tag)
{
        unsigned flags = cmd[0] == 'r' ? BL_SUBMIT_READONLY : 0;

        return bl_kernel_none.submit(fx->k, cmd, strlen(cmd), flags, tag);
}

static void durable(struct fx *fx, uint64_t seq)
{
        bl_kernel_none.durable(fx->k, seq);
}

static void assert_applied(const struct fx *fx, int i, const char *cmd, uint64_t index,
                           uint64_t tag)
{
        assert_true(i < fx->n_log);
        assert_string_equal(fx->log[i].cmd, cmd);
        assert_int_equal(fx->log[i].index, index);
        assert_int_equal(fx->log[i].tag, tag);
}

static void assert_state(const struct fx *fx, const char *const *writes, int n)
{
        assert_int_equal(fx->n_sm, n);
        for (int i = 0; i < n; i++)
                assert_string_equal(fx->sm[i], writes[i]);
}

/* ------------------------------------------------------------------------ */

/* A write is persisted as itself and applied (answered) only once durable,
 * in order, with consecutive indexes; durable() covering part of the
 * records applies that part. */
static void test_write_waits_for_durable(void **state)
{
        static struct fx fx;
        struct bl_kernel_stats st;

        (void)state;
        fx_init(&fx, 1000);
        assert_int_equal(submit(&fx, "w1", 11), 0);
        assert_int_equal(submit(&fx, "w2", 12), 0);
        assert_int_equal(submit(&fx, "w3", 13), 0);
        assert_int_equal(fx.n_log, 0);
        assert_int_equal(fx.n_recs, 3);
        assert_int_equal(fx.recs[0].type, BL_NONE_REC_CMD);
        assert_int_equal(fx.recs[0].len, 2);
        assert_memory_equal(fx.recs[0].buf, "w1", 2);
        bl_kernel_none.stats(fx.k, &st);
        assert_int_equal(st.applied, 0);
        assert_int_equal(st.log_entries, 3);
        durable(&fx, 2);
        assert_int_equal(fx.n_log, 2);
        assert_applied(&fx, 0, "w1", 1, 11);
        assert_applied(&fx, 1, "w2", 2, 12);
        durable(&fx, 2); /* nothing new */
        durable(&fx, 1); /* going back is ignored */
        assert_int_equal(fx.n_log, 2);
        durable(&fx, 99); /* beyond what was persisted: up to the last record */
        assert_int_equal(fx.n_log, 3);
        assert_applied(&fx, 2, "w3", 3, 13);
        bl_kernel_none.stats(fx.k, &st);
        assert_int_equal(st.applied, 3);
        assert_int_equal(st.commit, 3);
        assert_int_equal(st.log_entries, 0);
        assert_int_equal(bl_kernel_none.leader(fx.k), 0);
        assert_int_equal(bl_kernel_none.recv(fx.k, 0, 0, "x", 1), BL_EPROTO);
        fx_free(&fx);
}

/* A read with no write pending is served at once, outside the log (index
 * 0, nothing persisted); behind a pending write it waits, in submission
 * order, and never sees that write before it is durable. */
static void test_read_order(void **state)
{
        static struct fx fx;

        (void)state;
        fx_init(&fx, 1000);
        assert_int_equal(submit(&fx, "r0", 1), 0);
        assert_int_equal(fx.n_log, 1);
        assert_applied(&fx, 0, "r0", 0, 1);
        assert_int_equal(fx.n_recs, 0);

        assert_int_equal(submit(&fx, "w1", 2), 0);
        assert_int_equal(submit(&fx, "r1", 3), 0);
        assert_int_equal(submit(&fx, "w2", 4), 0);
        assert_int_equal(submit(&fx, "r2", 5), 0);
        assert_int_equal(submit(&fx, "r3", 6), 0);
        assert_int_equal(fx.n_log, 1);  /* everything waits behind w1 */
        assert_int_equal(fx.n_recs, 2); /* reads are not logged */
        durable(&fx, 1);
        assert_int_equal(fx.n_log, 3);
        assert_applied(&fx, 1, "w1", 1, 2);
        assert_applied(&fx, 2, "r1", 0, 3); /* sees w1, not w2 */
        durable(&fx, 2);
        assert_int_equal(fx.n_log, 6);
        assert_applied(&fx, 3, "w2", 2, 4);
        assert_applied(&fx, 4, "r2", 0, 5);
        assert_applied(&fx, 5, "r3", 0, 6);
        /* Queue empty again: the next read goes at once. */
        assert_int_equal(submit(&fx, "r4", 7), 0);
        assert_applied(&fx, 6, "r4", 0, 7);
        fx_free(&fx);
}

/* A crash loses what was not durable; the new instance replays the rest,
 * applies it again without tags, and carries on with the next index. */
static void test_replay(void **state)
{
        static const char *const want[] = {"w1", "w2", "w4"};
        static struct fx fx;

        (void)state;
        fx_init(&fx, 1000);
        submit(&fx, "w1", 1);
        submit(&fx, "w2", 2);
        durable(&fx, 2);
        submit(&fx, "w3", 3); /* seq 3, never durable */
        submit(&fx, "r1", 4);
        assert_int_equal(fx.n_log, 2);
        assert_int_equal(fx_crash_recover(&fx, 2), 0);
        assert_int_equal(fx.n_log, 2);
        assert_applied(&fx, 0, "w1", 1, 0);
        assert_applied(&fx, 1, "w2", 2, 0);
        assert_int_equal(fx.restores, 0);
        submit(&fx, "w4", 5);
        durable(&fx, fx.seq);
        assert_applied(&fx, 2, "w4", 3, 5);
        assert_state(&fx, want, 3);
        /* Again, from nothing lost this time. */
        assert_int_equal(fx_crash_recover(&fx, fx.seq), 0);
        assert_state(&fx, want, 3);
        assert_applied(&fx, 2, "w4", 3, 0);
        fx_free(&fx);
}

/* Every 3 applied writes a snapshot record (index, covered record, state);
 * once it is durable the log is compacted up to the last write it covers.
 * A write still waiting for the disk when the snapshot is taken has a
 * record below the snapshot's and is not in it: after a crash it is
 * applied after the snapshot is restored. */
static void test_snapshot_and_compaction(void **state)
{
        static const char *const want[] = {"w1", "w2", "w3", "w4", "w5"};
        static struct fx fx;
        struct bl_kernel_stats st;
        uint64_t index, covers;

        (void)state;
        fx_init(&fx, 3);
        submit(&fx, "w1", 1);
        submit(&fx, "w2", 2);
        submit(&fx, "w3", 3);
        submit(&fx, "w4", 4); /* seq 4 */
        durable(&fx, 3);
        /* w1..w3 applied; the snapshot goes out as record 5, w4 pending. */
        assert_int_equal(fx.n_log, 3);
        assert_int_equal(fx.n_recs, 5);
        assert_int_equal(fx.recs[4].type, BL_NONE_REC_SNAPSHOT);
        assert_int_equal(fx.recs[4].len, BL_NONE_SNAP_HEADER + 3 * CMD_MAX);
        memcpy(&index, fx.recs[4].buf, 8);
        memcpy(&covers, fx.recs[4].buf + 8, 8);
        assert_int_equal(index, 3);
        assert_int_equal(covers, 3);
        assert_int_equal(fx.n_compacts, 0); /* not before the snapshot is durable */

        /* A crash before the snapshot is durable: nothing was dropped. */
        assert_int_equal(fx_crash_recover(&fx, 4), 0);
        assert_int_equal(fx.n_log, 4);
        assert_int_equal(fx.restores, 0);
        assert_state(&fx, want, 4);
        /* Four writes replayed: the new instance snapshots at once. */
        assert_int_equal(fx.recs[fx.n_recs - 1].type, BL_NONE_REC_SNAPSHOT);
        durable(&fx, fx.seq);
        assert_int_equal(fx.n_compacts, 1);
        assert_int_equal(fx.compacted, 4);
        assert_int_equal(fx.n_recs, 1); /* the snapshot alone */

        submit(&fx, "w5", 5);
        durable(&fx, fx.seq);
        assert_int_equal(fx_crash_recover(&fx, fx.seq), 0);
        assert_int_equal(fx.restores, 1);
        assert_state(&fx, want, 5);
        assert_int_equal(fx.n_log, 1); /* only w5 applied again */
        assert_applied(&fx, 0, "w5", 5, 0);
        bl_kernel_none.stats(fx.k, &st);
        assert_int_equal(st.applied, 5);
        fx_free(&fx);
}

/* The pending write below the snapshot's record, after compaction: the
 * records are w4 (seq 4) and the snapshot (seq 5, covering seq 3); replay
 * restores the snapshot and applies w4 after it. */
static void test_snapshot_with_pending_write(void **state)
{
        static const char *const want[] = {"w1", "w2", "w3", "w4"};
        static struct fx fx;

        (void)state;
        fx_init(&fx, 3);
        submit(&fx, "w1", 1);
        submit(&fx, "w2", 2);
        submit(&fx, "w3", 3);
        submit(&fx, "w4", 4);
        durable(&fx, 3);
        durable(&fx, 5); /* w4 and the snapshot */
        assert_int_equal(fx.n_log, 4);
        assert_applied(&fx, 3, "w4", 4, 4);
        assert_int_equal(fx.compacted, 3);
        assert_int_equal(fx.n_recs, 2);
        assert_int_equal(fx.recs[0].seq, 4);
        assert_int_equal(fx.recs[1].seq, 5);
        assert_int_equal(fx_crash_recover(&fx, 5), 0);
        assert_int_equal(fx.restores, 1);
        assert_state(&fx, want, 4);
        assert_applied(&fx, 0, "w4", 4, 0);
        fx_free(&fx);
}

/* Many writes, crashes at every point of the snapshot cycle, each losing
 * the records not yet reported durable or not: the state after recovery is
 * exactly the writes whose records survived (a prefix, in order), never less
 * than what was applied before the crash, and the log stays short. */
static void test_many_crashes(void **state)
{
        static struct fx fx;
        static uint64_t wseq[1024]; /* record of write i */
        char cmd[CMD_MAX];
        int written = 0, max_recs = 0;
        uint64_t reported = 0;

        (void)state;
        fx_init(&fx, 4);
        for (int round = 0; round < 60; round++) {
                int burst = 1 + round % 7, before, expect = 0;
                uint64_t keep;

                for (int i = 0; i < burst; i++) {
                        snprintf(cmd, sizeof(cmd), "w%d", ++written);
                        assert_int_equal(submit(&fx, cmd, (uint64_t)written), 0);
                        wseq[written] = fx.seq;
                        if ((i + round) % 3 == 0) {
                                durable(&fx, fx.seq);
                                reported = fx.seq;
                        }
                }
                if (fx.n_recs > max_recs)
                        max_recs = fx.n_recs;
                /* A crash keeps every record reported durable, and maybe
                 * the last one too. */
                keep = round % 2 || fx.seq - 1 < reported ? fx.seq : fx.seq - 1;
                for (int j = 1; j <= written; j++)
                        if (wseq[j] <= keep)
                                expect = j;
                before = fx.n_sm;
                assert_int_equal(fx_crash_recover(&fx, keep), 0);
                assert_int_equal(fx.n_sm, expect);
                assert_true(expect >= before);
                for (int i = 0; i < fx.n_sm; i++) {
                        snprintf(cmd, sizeof(cmd), "w%d", i + 1);
                        assert_string_equal(fx.sm[i], cmd);
                }
                written = expect; /* what was lost is written again */
                durable(&fx, fx.seq);
                reported = fx.seq;
        }
        assert_true(written > 100);
        /* A snapshot interval, a burst not yet durable, two snapshots. */
        assert_true(max_recs <= 4 + 7 + 2);
        fx_free(&fx);
}

/* Records that cannot have been written by this kernel refuse recovery. */
static void test_malformed_records(void **state)
{
        static struct fx fx;
        uint8_t snap[BL_NONE_SNAP_HEADER + CMD_MAX] = {0};
        uint64_t v;

        (void)state;
        fx_init(&fx, 1000);
        bl_kernel_none.destroy(fx.k);
        fx.k = fx_create(&fx);
        assert_int_equal(bl_kernel_none.replay(fx.k, 1, 9, "w1", 2), BL_EPROTO);
        assert_int_equal(bl_kernel_none.replay(fx.k, 1, BL_NONE_REC_CMD, "", 0), BL_EPROTO);
        assert_int_equal(bl_kernel_none.replay(fx.k, 2, BL_NONE_REC_CMD, "w1", 2), 0);
        /* Out of order. */
        assert_int_equal(bl_kernel_none.replay(fx.k, 2, BL_NONE_REC_CMD, "w2", 2), BL_EPROTO);
        /* Short snapshot. */
        assert_int_equal(bl_kernel_none.replay(fx.k, 3, BL_NONE_REC_SNAPSHOT, snap, 8), BL_EPROTO);
        /* A snapshot covering itself. */
        v = 1;
        memcpy(snap, &v, 8);
        v = 3;
        memcpy(snap + 8, &v, 8);
        assert_int_equal(bl_kernel_none.replay(fx.k, 3, BL_NONE_REC_SNAPSHOT, snap, sizeof(snap)),
                         BL_EPROTO);
        /* A store that does not restore. */
        v = 2;
        memcpy(snap + 8, &v, 8);
        fx.fail_restore = 1;
        assert_int_equal(bl_kernel_none.replay(fx.k, 3, BL_NONE_REC_SNAPSHOT, snap, sizeof(snap)),
                         BL_EPROTO);
        fx.fail_restore = 0;
        memcpy(snap + BL_NONE_SNAP_HEADER, "w1", 3);
        assert_int_equal(bl_kernel_none.replay(fx.k, 3, BL_NONE_REC_SNAPSHOT, snap, sizeof(snap)),
                         0);
        /* A later snapshot may not cover less. */
        v = 1;
        memcpy(snap + 8, &v, 8);
        assert_int_equal(bl_kernel_none.replay(fx.k, 4, BL_NONE_REC_SNAPSHOT, snap, sizeof(snap)),
                         BL_EPROTO);
        bl_kernel_none.start(fx.k);
        assert_int_equal(fx.n_sm, 1);
        assert_int_equal(fx.n_log, 0); /* w1 was covered by the snapshot */
        fx_free(&fx);
}

/* Overload and out of memory: BL_EBUSY past the queue's bound, BL_ENOMEM
 * when a copy cannot be made, and then nothing was persisted; a destroyed
 * instance frees what it held (ASan). */
static void test_busy_and_oom(void **state)
{
        static struct fx fx;
        int rc, n;

        (void)state;
        fx_init(&fx, 1000);
        submit(&fx, "w1", 1);
        for (n = 1; n < 1000; n++) {
                bl_alloc_fail_after(n);
                rc = submit(&fx, "w2", 2);
                bl_alloc_fail_after(0);
                if (rc == 0)
                        break;
                assert_int_equal(rc, BL_ENOMEM);
                assert_int_equal(fx.n_recs, 1);
        }
        assert_int_equal(fx.n_recs, 2);
        bl_alloc_fail_after(1);
        rc = submit(&fx, "r1", 3);
        bl_alloc_fail_after(0);
        assert_int_equal(rc, BL_ENOMEM);
        fx_free(&fx);

        /* The bound: reads and writes count alike. */
        fx_init(&fx, 1000);
        submit(&fx, "w1", 1);
        for (n = 1; n < BL_NONE_MAX_QUEUE; n++)
                assert_int_equal(submit(&fx, "r1", 2), 0);
        assert_int_equal(submit(&fx, "r2", 3), BL_EBUSY);
        assert_int_equal(submit(&fx, "w2", 4), BL_EBUSY);
        assert_int_equal(fx.n_recs, 1);
        fx_free(&fx);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_write_waits_for_durable),
            cmocka_unit_test(test_read_order),
            cmocka_unit_test(test_replay),
            cmocka_unit_test(test_snapshot_and_compaction),
            cmocka_unit_test(test_snapshot_with_pending_write),
            cmocka_unit_test(test_many_crashes),
            cmocka_unit_test(test_malformed_records),
            cmocka_unit_test(test_busy_and_oom),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
