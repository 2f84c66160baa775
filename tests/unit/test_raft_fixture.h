/* Raft unit-test fixture: a fake environment that captures sends, applies and events. */
#ifndef BL_TESTS_UNIT_TEST_RAFT_FIXTURE_H
#define BL_TESTS_UNIT_TEST_RAFT_FIXTURE_H

/*
 * A cluster of up to 9 Raft instances driven by hand. Nothing happens unless
 * the test says so: time moves with fx_advance(), messages wait in one FIFO
 * queue until fx_deliver() or fx_deliver_all() (or are inspected and dropped
 * with fx_take()), ticks run with fx_tick(). Each node has a toy state
 * machine (count and hash of applied commands) with snapshot and restore, and
 * records every apply (with its reply flag) and every event.
 *
 * Each node has a disk: the records its instance persists, kept in memory.
 * They become durable (kernel->durable) in fx_sync(), which fx_deliver(),
 * fx_tick() and fx_submit() call after the kernel returns, as the runtime's
 * memory mode does in its next loop pass; a test that sets fx->manual_sync
 * decides itself when. fx_crash() destroys a node's instance and loses its
 * records that were not durable; fx_recover() creates a new instance, replays
 * the records and starts it.
 *
 * Header-only (static functions) so each test binary includes it once.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "storage/memlog.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/internal.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"
#include "kernels/raft/raft.h"

#define FX_MAX_NODES   9
#define FX_MAX_MSGS    4096
#define FX_MAX_APPLIES 4096
#define FX_MAX_EVENTS  256
#define FX_CMD_MAX     64

struct fx_msg {
        int from, to, type;
        size_t len;
        uint8_t *buf;
};

struct fx_apply {
        char cmd[FX_CMD_MAX];
        int reply;
};

struct fx_event {
        int type;
        int64_t a, b;
};

struct fx;

struct fx_node {
        struct fx *fx;
        int id;
        struct bl_raft *r;
        /* Toy state machine. */
        uint64_t sm_count;
        uint64_t sm_hash;
        int restores;
        struct fx_apply applies[FX_MAX_APPLIES];
        int n_applies;
        int n_dropped; /* dropped(tag) reports */
        struct fx_event events[FX_MAX_EVENTS];
        int n_events;
        uint64_t random_value; /* what env->random returns */
        int snapshot_fail;     /* env->snapshot returns BL_ENOMEM */
        /* Disk. */
        struct bl_memlog log;
        uint64_t persisted, durable; /* latest seq written / reported durable */
        int down;                    /* crashed: r is NULL */
        int compactions;
};

struct fx {
        const struct bl_kernel *kern; /* bl_kernel_raft, or a mutant (raft.h) */
        int n;
        uint64_t now;
        struct bl_config cfg;
        struct fx_node nodes[FX_MAX_NODES];
        struct fx_msg msgs[FX_MAX_MSGS];
        int n_msgs;
        int cut[FX_MAX_NODES]; /* 1: messages from/to this node are dropped on delivery */
        uint64_t seq;          /* last record sequence number handed out */
        int manual_sync;       /* 1: durability only through fx_sync_node() */
};

static inline uint64_t fx_env_now(void *ctx)
{
        return ((struct fx_node *)ctx)->fx->now;
}

static inline uint64_t fx_env_random(void *ctx)
{
        return ((struct fx_node *)ctx)->random_value;
}

static inline void fx_env_send(void *ctx, int to, int type, const void *buf, size_t len)
{
        struct fx_node *n = ctx;
        struct fx *fx = n->fx;
        struct fx_msg *m;

        assert_true(to >= 0 && to < fx->n && to != n->id);
        assert_true(type >= 0 && type < BL_RAFT_MSG__COUNT);
        assert_true(fx->n_msgs < FX_MAX_MSGS);
        m = &fx->msgs[fx->n_msgs++];
        m->from = n->id;
        m->to = to;
        m->type = type;
        m->len = len;
        m->buf = malloc(len > 0 ? len : 1);
        memcpy(m->buf, buf, len);
}

static inline void fx_env_apply(void *ctx, const void *cmd, size_t len, uint64_t index,
                                uint64_t tag)
{
        struct fx_node *n = ctx;
        struct fx_apply *a;

        assert_true(n->n_applies < FX_MAX_APPLIES);
        a = &n->applies[n->n_applies++];
        memset(a->cmd, 0, sizeof(a->cmd));
        memcpy(a->cmd, cmd, len < FX_CMD_MAX - 1 ? len : FX_CMD_MAX - 1);
        a->reply = tag != 0;
        (void)index;
        n->sm_count++;
        for (size_t i = 0; i < len; i++)
                n->sm_hash = (n->sm_hash ^ ((const uint8_t *)cmd)[i]) * 1099511628211u;
}

static inline void fx_env_dropped(void *ctx, uint64_t tag)
{
        struct fx_node *n = ctx;

        n->n_dropped++;
        (void)tag;
}

static inline int fx_env_snapshot(void *ctx, void **buf, size_t *len)
{
        struct fx_node *n = ctx;
        uint64_t *p;

        if (n->snapshot_fail)
                return BL_ENOMEM;
        p = bl_malloc(16);
        if (p == NULL)
                return BL_ENOMEM;
        p[0] = n->sm_count;
        p[1] = n->sm_hash;
        *buf = p;
        *len = 16;
        return 0;
}

static inline int fx_env_restore(void *ctx, const void *buf, size_t len)
{
        struct fx_node *n = ctx;

        n->restores++;
        if (buf == NULL) {
                n->sm_count = 0;
                n->sm_hash = 0;
                return 0;
        }
        if (len != 16)
                return BL_EPROTO;
        memcpy(&n->sm_count, buf, 8);
        memcpy(&n->sm_hash, (const uint8_t *)buf + 8, 8);
        return 0;
}

static inline void fx_env_event(void *ctx, int type, int64_t a, int64_t b)
{
        struct fx_node *n = ctx;

        if (n->n_events < FX_MAX_EVENTS)
                n->events[n->n_events++] = (struct fx_event){type, a, b};
}

/* Defaults used by every test unless it changes fx->cfg before fx_start(). */
static inline void fx_config(struct fx *fx)
{
        memset(&fx->cfg, 0, sizeof(fx->cfg));
        fx->cfg.raft.election_timeout_ms = 100;
        fx->cfg.raft.heartbeat_ms = 20;
        fx->cfg.raft.prevote = 0;
        fx->cfg.raft.max_batch = 64;
        fx->cfg.raft.batch_delay_us = 0;
        fx->cfg.raft.pipeline = 1;
        fx->cfg.raft.read_mode = BL_READ_LOG;
        fx->cfg.raft.snapshot_entries = 0;
}

#define FX_MS 1000000ull

/* Allocate a fixture with n nodes and default config (call fx_start next). */
static inline struct fx *fx_new(int n)
{
        struct fx *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        fx->kern = &bl_kernel_raft;
        fx->n = n;
        fx->now = 1000 * FX_MS;
        fx_config(fx);
        return fx;
}

static inline uint64_t fx_env_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct fx_node *n = ctx;

        assert_true(type >= 1 && type <= 255);
        assert_int_equal(bl_memlog_append(&n->log, ++n->fx->seq, type, buf, len), 0);
        n->persisted = n->fx->seq;
        return n->fx->seq;
}

static inline void fx_env_compact(void *ctx, uint64_t seq)
{
        struct fx_node *n = ctx;

        bl_memlog_compact(&n->log, seq);
        n->compactions++;
}

/* Create node i's instance (fresh, or after a crash: replaying its disk). */
static inline void fx_create(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];
        struct bl_env env = {
            .ctx = nd,
            .now = fx_env_now,
            .random = fx_env_random,
            .send = fx_env_send,
            .apply = fx_env_apply,
            .dropped = fx_env_dropped,
            .snapshot = fx_env_snapshot,
            .restore = fx_env_restore,
            .event = fx_env_event,
            .persist = fx_env_persist,
            .compact = fx_env_compact,
        };
        struct bl_group g = {.shard = 7, .self = i, .nmembers = fx->n};

        nd->r = fx->kern->create(&env, &g, &fx->cfg);
        assert_non_null(nd->r);
        for (size_t k = 0; k < nd->log.n; k++) {
                const struct bl_memrec *rec = bl_memlog_at(&nd->log, k);

                assert_int_equal(fx->kern->replay(nd->r, rec->seq, rec->type, rec->buf, rec->len),
                                 0);
        }
        fx->kern->start(nd->r);
        nd->down = 0;
}

static inline void fx_start(struct fx *fx)
{
        for (int i = 0; i < fx->n; i++) {
                struct fx_node *nd = &fx->nodes[i];

                nd->fx = fx;
                nd->id = i;
                /* Stagger timeouts: node i's jitter is i * 10 ms. */
                nd->random_value = (uint64_t)i * 10 * FX_MS;
                fx_create(fx, i);
                nd->restores = 0; /* start() resets the fresh store: not counted */
        }
}

/* Report node i's records durable, as the storage does after a sync. */
static inline void fx_sync_node(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];

        if (nd->down || nd->persisted <= nd->durable)
                return;
        nd->durable = nd->persisted;
        fx->kern->durable(nd->r, nd->durable);
}

/* Report every node's records durable, again while durable() callbacks
 * persist more (a candidate's vote makes it leader, which writes a no-op). */
static inline void fx_sync(struct fx *fx)
{
        int more = 1;

        for (int guard = 0; more && !fx->manual_sync && guard < 100; guard++) {
                more = 0;
                for (int i = 0; i < fx->n; i++) {
                        more |= !fx->nodes[i].down && fx->nodes[i].persisted > fx->nodes[i].durable;
                        fx_sync_node(fx, i);
                }
        }
}

/* Crash node i: its instance and state machine are gone, so are the records
 * not durable; messages to it are lost until fx_recover(). */
static inline void fx_crash(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];

        assert_false(nd->down);
        fx->kern->destroy(nd->r);
        nd->r = NULL;
        nd->down = 1;
        bl_memlog_truncate_after(&nd->log, nd->durable);
        nd->persisted = nd->durable;
        nd->sm_count = 0; /* the state machine's memory is gone too */
        nd->sm_hash = 0;
}

static inline void fx_recover(struct fx *fx, int i)
{
        assert_true(fx->nodes[i].down);
        fx_create(fx, i);
}

static inline void fx_clear_msgs(struct fx *fx)
{
        for (int i = 0; i < fx->n_msgs; i++)
                free(fx->msgs[i].buf);
        fx->n_msgs = 0;
}

static inline void fx_free(struct fx *fx)
{
        fx_clear_msgs(fx);
        for (int i = 0; i < fx->n; i++) {
                fx->kern->destroy(fx->nodes[i].r);
                bl_memlog_free(&fx->nodes[i].log);
        }
        free(fx);
}

/* Remove message i from the queue and give it to the caller (free buf). */
static inline struct fx_msg fx_take(struct fx *fx, int i)
{
        struct fx_msg m = fx->msgs[i];

        memmove(&fx->msgs[i], &fx->msgs[i + 1], (size_t)(fx->n_msgs - i - 1) * sizeof(m));
        fx->n_msgs--;
        return m;
}

/* Index of the first queued message of `type` from `from` to `to` (-1: any),
 * or -1. */
static inline int fx_find(const struct fx *fx, int from, int to, int type)
{
        for (int i = 0; i < fx->n_msgs; i++) {
                const struct fx_msg *m = &fx->msgs[i];

                if ((from < 0 || m->from == from) && (to < 0 || m->to == to) &&
                    (type < 0 || m->type == type))
                        return i;
        }
        return -1;
}

static inline int fx_count(const struct fx *fx, int from, int to, int type)
{
        int c = 0;

        for (int i = 0; i < fx->n_msgs; i++) {
                const struct fx_msg *m = &fx->msgs[i];

                c += (from < 0 || m->from == from) && (to < 0 || m->to == to) &&
                     (type < 0 || m->type == type);
        }
        return c;
}

/* Deliver the first queued message; returns the recv() code, or 1 when the
 * queue is empty. Messages from or to a cut node vanish. */
static inline int fx_deliver(struct fx *fx)
{
        struct fx_msg m;
        int rc = 0;

        if (fx->n_msgs == 0)
                return 1;
        m = fx_take(fx, 0);
        if (!fx->cut[m.from] && !fx->cut[m.to] && !fx->nodes[m.to].down)
                rc = fx->kern->recv(fx->nodes[m.to].r, m.from, m.type, m.buf, m.len);
        free(m.buf);
        fx_sync(fx);
        return rc;
}

/* Deliver until the queue is empty (bounded); every recv must succeed. */
static inline void fx_deliver_all(struct fx *fx)
{
        for (int guard = 0; fx->n_msgs > 0 && guard < 100000; guard++)
                assert_int_equal(fx_deliver(fx), 0);
        assert_int_equal(fx->n_msgs, 0);
}

static inline void fx_tick(struct fx *fx)
{
        for (int i = 0; i < fx->n; i++)
                if (!fx->nodes[i].down)
                        fx->kern->tick(fx->nodes[i].r);
        fx_sync(fx);
}

/* Move time forward in 1 ms steps, ticking and delivering everything. */
static inline void fx_run(struct fx *fx, uint64_t ms)
{
        for (uint64_t t = 0; t < ms; t++) {
                fx->now += FX_MS;
                fx_tick(fx);
                fx_deliver_all(fx);
        }
}

static inline struct bl_raft *fx_r(struct fx *fx, int i)
{
        return fx->nodes[i].r;
}

/* Member that leads (role leader, not crashed), -1 if none, fails on two in
 * the same term. */
static inline int fx_leader(struct fx *fx)
{
        int l = -1;

        for (int i = 0; i < fx->n; i++) {
                struct bl_raft *r = fx_r(fx, i);

                if (r == NULL || r->role != BL_RAFT_LEADER)
                        continue;
                if (l >= 0 && fx_r(fx, l)->term == r->term)
                        fail_msg("two leaders in term %llu", (unsigned long long)r->term);
                if (l < 0 || r->term > fx_r(fx, l)->term)
                        l = i;
        }
        return l;
}

/* Run until some node leads and everyone alive follows it. */
static inline int fx_elect(struct fx *fx)
{
        for (int t = 0; t < 5000; t++) {
                int l = fx_leader(fx);
                int agreed = l >= 0;

                for (int i = 0; agreed && i < fx->n; i++)
                        if (fx_r(fx, i) != NULL && !fx->cut[i] &&
                            (fx_r(fx, i)->leader != l || fx_r(fx, i)->term != fx_r(fx, l)->term))
                                agreed = 0;
                if (agreed)
                        return l;
                fx_run(fx, 1);
        }
        fail_msg("no leader elected");
        return -1;
}

static inline int fx_submit(struct fx *fx, int i, const char *cmd)
{
        int rc = fx->kern->submit(fx_r(fx, i), cmd, strlen(cmd), 0, 1);

        fx_sync(fx);
        return rc;
}

static inline int fx_has_event(const struct fx_node *n, int type)
{
        for (int i = 0; i < n->n_events; i++)
                if (n->events[i].type == type)
                        return 1;
        return 0;
}

/* Build an AppendEntries with entries of the given terms ("cmd<i>" payload,
 * or a no-op when the term is negated... kept simple: all commands). */
static inline size_t fx_encode_append(uint8_t *buf, size_t cap, uint64_t term, uint64_t prev_index,
                                      uint64_t prev_term, uint64_t commit, const uint64_t *terms,
                                      int n)
{
        struct bl_raft_append_entries m = {
            .term = term,
            .prev_index = prev_index,
            .prev_term = prev_term,
            .commit = commit,
            .seq = 0,
            .n = (uint32_t)n,
        };
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_raft_put_append_entries(&w, &m);
        for (int i = 0; i < n; i++) {
                char cmd[16];
                int len = snprintf(cmd, sizeof(cmd), "e%llu",
                                   (unsigned long long)(prev_index + 1 + (uint64_t)i));

                bl_raft_put_entry(&w, terms[i], BL_RAFT_ENTRY_CMD, cmd, (uint32_t)len);
        }
        assert_true(w.ok);
        return w.len;
}

/* Deliver a hand-made AppendEntries to node `to` from `from`. */
static inline int fx_append(struct fx *fx, int from, int to, uint64_t term, uint64_t prev_index,
                            uint64_t prev_term, uint64_t commit, const uint64_t *terms, int n)
{
        uint8_t buf[8192];
        size_t len =
            fx_encode_append(buf, sizeof(buf), term, prev_index, prev_term, commit, terms, n);
        int rc = fx->kern->recv(fx_r(fx, to), from, BL_RAFT_MSG_APPEND_ENTRIES, buf, len);

        fx_sync(fx);
        return rc;
}

/* Take the last queued AppendEntriesResult from `from` to `to` and decode it. */
static inline struct bl_raft_append_entries_result fx_take_ae_result(struct fx *fx, int from,
                                                                     int to)
{
        struct bl_raft_append_entries_result res;
        int i = fx_find(fx, from, to, BL_RAFT_MSG_APPEND_ENTRIES_RESULT);
        struct fx_msg m;

        assert_true(i >= 0);
        m = fx_take(fx, i);
        assert_int_equal(bl_raft_decode_append_entries_result(m.buf, m.len, &res), 0);
        free(m.buf);
        return res;
}

static inline struct bl_raft_request_vote_result fx_take_vote_result(struct fx *fx, int from,
                                                                     int to, int type)
{
        struct bl_raft_request_vote_result res;
        int i = fx_find(fx, from, to, type);
        struct fx_msg m;

        assert_true(i >= 0);
        m = fx_take(fx, i);
        assert_int_equal(bl_raft_decode_request_vote_result(m.buf, m.len, &res), 0);
        free(m.buf);
        return res;
}

static inline int fx_vote_request(struct fx *fx, int from, int to, int type, uint64_t term,
                                  uint64_t last_index, uint64_t last_term)
{
        struct bl_raft_request_vote m = {term, last_index, last_term};
        uint8_t buf[32];
        size_t len = bl_raft_encode_request_vote(&m, buf, sizeof(buf));
        int rc = fx->kern->recv(fx_r(fx, to), from, type, buf, len);

        fx_sync(fx);
        return rc;
}

/* Append entries of the given terms directly into node i's log (white-box),
 * persisted and durable. */
static inline void fx_load_log(struct fx *fx, int i, const uint64_t *terms, int n)
{
        struct bl_raft *r = fx_r(fx, i);
        uint64_t first = bl_raft_log_last_index(&r->log) + 1;

        for (int k = 0; k < n; k++) {
                char cmd[16];
                int len = snprintf(cmd, sizeof(cmd), "e%llu",
                                   (unsigned long long)(bl_raft_log_last_index(&r->log) + 1));

                assert_int_equal(
                    bl_raft_log_append(&r->log, terms[k], BL_RAFT_ENTRY_CMD, cmd, (uint32_t)len, 0),
                    0);
        }
        if (n > 0)
                bl_raft_persist_entries(r, first);
        fx_sync_node(fx, i);
}

#endif
