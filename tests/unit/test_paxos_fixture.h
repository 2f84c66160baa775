/* Multi-Paxos unit-test fixture: a fake environment with a record store, captured sends, applies
 * and events. */
#ifndef BL_TESTS_UNIT_TEST_PAXOS_FIXTURE_H
#define BL_TESTS_UNIT_TEST_PAXOS_FIXTURE_H

/*
 * A cluster of up to 9 Paxos instances driven by hand, shaped like the Raft
 * fixture (test_raft_fixture.h). Nothing happens unless the test says so:
 * time moves with fx_advance()/fx_run(), messages wait in one FIFO queue
 * until fx_deliver() or fx_deliver_all() (or are inspected and removed with
 * fx_take()), ticks run with fx_tick().
 *
 * Storage: env->persist appends to the node's record list; records become
 * durable only through fx_sync(fx, i) (or at once for every node while
 * fx->auto_sync is set, the default, after each call into a kernel).
 * fx_crash(fx, i) destroys the instance and drops the records that were
 * not durable; fx_recover(fx, i) creates a new one, replays the rest and
 * starts it. env->compact deletes records, as the storage would.
 *
 * Each node has a toy state machine (count and hash of applied commands)
 * with snapshot and restore, and records every apply (with index and tag),
 * every dropped tag and every event. Header-only.
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
#include "kernels/paxos/encode.h"
#include "kernels/paxos/internal.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/paxos.h"

#define FX_MAX_NODES   9
#define FX_MAX_MSGS    8192
#define FX_MAX_APPLIES 4096
#define FX_MAX_EVENTS  256
#define FX_MAX_DROPS   1024
#define FX_MAX_RECS    8192
#define FX_CMD_MAX     64

struct fx_msg {
        int from, to, type;
        size_t len;
        uint8_t *buf;
};

struct fx_apply {
        char cmd[FX_CMD_MAX];
        uint64_t index;
        uint64_t tag;
};

struct fx_event {
        int type;
        int64_t a, b;
};

struct fx_rec {
        uint64_t seq;
        int type;
        size_t len;
        uint8_t *buf;
};

struct fx;

struct fx_node {
        struct fx *fx;
        int id;
        struct bl_paxos *p;
        int down; /* crashed: no instance */
        /* Toy state machine. */
        uint64_t sm_count;
        uint64_t sm_hash;
        int restores;
        struct fx_apply applies[FX_MAX_APPLIES];
        int n_applies;
        uint64_t drops[FX_MAX_DROPS];
        int n_drops;
        struct fx_event events[FX_MAX_EVENTS];
        int n_events;
        uint64_t random_value;
        /* Storage. */
        struct fx_rec recs[FX_MAX_RECS];
        int n_recs;
        uint64_t durable; /* records up to this seq survive a crash */
        uint64_t compacted;
};

struct fx {
        int n;
        uint64_t now;
        uint64_t seq; /* storage sequence, shared like a rank's WAL */
        int auto_sync;
        struct bl_config cfg;
        struct fx_node nodes[FX_MAX_NODES];
        struct fx_msg msgs[FX_MAX_MSGS];
        int n_msgs;
        int cut[FX_MAX_NODES];
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
        assert_true(type >= 0 && type < BL_PAXOS_MSG__COUNT);
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
        a->index = index;
        a->tag = tag;
        if (index == 0)
                return; /* a read served outside the slots changes nothing */
        n->sm_count++;
        for (size_t i = 0; i < len; i++)
                n->sm_hash = (n->sm_hash ^ ((const uint8_t *)cmd)[i]) * 1099511628211u;
}

static inline void fx_env_dropped(void *ctx, uint64_t tag)
{
        struct fx_node *n = ctx;

        assert_true(n->n_drops < FX_MAX_DROPS);
        n->drops[n->n_drops++] = tag;
}

static inline int fx_env_snapshot(void *ctx, void **buf, size_t *len)
{
        struct fx_node *n = ctx;
        uint64_t *q = bl_malloc(16);

        if (q == NULL)
                return BL_ENOMEM;
        q[0] = n->sm_count;
        q[1] = n->sm_hash;
        *buf = q;
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

static inline uint64_t fx_env_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct fx_node *n = ctx;
        struct fx_rec *r;

        assert_true(type >= 1 && type <= 255);
        assert_true(n->n_recs < FX_MAX_RECS);
        r = &n->recs[n->n_recs++];
        r->seq = ++n->fx->seq;
        r->type = type;
        r->len = len;
        r->buf = malloc(len > 0 ? len : 1);
        memcpy(r->buf, buf, len);
        return r->seq;
}

/* Delete the records with seq <= `seq` (and, on a crash, those above `keep`). */
static inline void fx_recs_filter(struct fx_node *n, uint64_t drop_upto, uint64_t keep_upto)
{
        int k = 0;

        for (int i = 0; i < n->n_recs; i++) {
                if (n->recs[i].seq <= drop_upto || n->recs[i].seq > keep_upto) {
                        free(n->recs[i].buf);
                        continue;
                }
                n->recs[k++] = n->recs[i];
        }
        n->n_recs = k;
}

static inline void fx_env_compact(void *ctx, uint64_t seq)
{
        struct fx_node *n = ctx;

        assert_true(seq <= n->durable); /* only superseded by something durable */
        n->compacted = seq;
        fx_recs_filter(n, seq, UINT64_MAX);
}

static inline void fx_config(struct fx *fx)
{
        memset(&fx->cfg, 0, sizeof(fx->cfg));
        fx->cfg.paxos.election_timeout_ms = 100;
        fx->cfg.paxos.heartbeat_ms = 20;
        fx->cfg.paxos.max_batch = 64;
        fx->cfg.paxos.batch_delay_us = 0;
        fx->cfg.paxos.pipeline = 4;
        fx->cfg.paxos.read_mode = BL_PAXOS_READ_LOG;
        fx->cfg.paxos.phase2_quorum = 0;
        fx->cfg.paxos.snapshot_entries = 0;
        fx->cfg.paxos.snapshot_chunk = 65536;
}

#define FX_MS 1000000ull

static inline struct fx *fx_new(int n)
{
        struct fx *fx = calloc(1, sizeof(*fx));

        assert_non_null(fx);
        fx->n = n;
        fx->now = 1000 * FX_MS;
        fx->auto_sync = 1;
        fx_config(fx);
        return fx;
}

static inline struct bl_paxos *fx_p(struct fx *fx, int i)
{
        return fx->nodes[i].p;
}

/* Make node i's records durable and tell its instance. */
static inline void fx_sync(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];
        uint64_t last = nd->n_recs > 0 ? nd->recs[nd->n_recs - 1].seq : 0;

        if (nd->down || last <= nd->durable)
                return;
        nd->durable = last;
        bl_kernel_paxos.durable(nd->p, last);
}

static inline void fx_sync_all(struct fx *fx)
{
        for (int pass = 0; pass < 4; pass++)
                for (int i = 0; i < fx->n; i++)
                        fx_sync(fx, i);
}

static inline void fx_auto(struct fx *fx)
{
        if (fx->auto_sync)
                fx_sync_all(fx);
}

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

        nd->fx = fx;
        nd->id = i;
        nd->p = bl_kernel_paxos.create(&env, &g, &fx->cfg);
        assert_non_null(nd->p);
}

static inline void fx_start(struct fx *fx)
{
        for (int i = 0; i < fx->n; i++) {
                /* Stagger timeouts: node i's jitter is i * 10 ms. */
                fx->nodes[i].random_value = (uint64_t)i * 10 * FX_MS;
                fx_create(fx, i);
                bl_kernel_paxos.start(fx->nodes[i].p);
        }
}

/* Fail-stop: the instance is gone with every record not durable. */
static inline void fx_crash(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];

        bl_kernel_paxos.destroy(nd->p);
        nd->p = NULL;
        nd->down = 1;
        fx_recs_filter(nd, 0, nd->durable);
}

/* A new instance from the durable records; the state machine starts empty. */
static inline void fx_recover(struct fx *fx, int i)
{
        struct fx_node *nd = &fx->nodes[i];

        nd->sm_count = 0;
        nd->sm_hash = 0;
        nd->down = 0;
        fx_create(fx, i);
        for (int k = 0; k < nd->n_recs; k++)
                assert_int_equal(bl_kernel_paxos.replay(nd->p, nd->recs[k].seq, nd->recs[k].type,
                                                        nd->recs[k].buf, nd->recs[k].len),
                                 0);
        bl_kernel_paxos.start(nd->p);
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
                bl_kernel_paxos.destroy(fx->nodes[i].p);
                fx_recs_filter(&fx->nodes[i], UINT64_MAX, 0);
        }
        free(fx);
}

static inline struct fx_msg fx_take(struct fx *fx, int i)
{
        struct fx_msg m = fx->msgs[i];

        memmove(&fx->msgs[i], &fx->msgs[i + 1], (size_t)(fx->n_msgs - i - 1) * sizeof(m));
        fx->n_msgs--;
        return m;
}

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

/* Drop every queued message of `type` (-1: any) from `from` (-1: any). */
static inline int fx_discard(struct fx *fx, int from, int type)
{
        int n = 0, i;

        while ((i = fx_find(fx, from, -1, type)) >= 0) {
                struct fx_msg m = fx_take(fx, i);

                free(m.buf);
                n++;
        }
        return n;
}

/* Deliver the first queued message; returns the recv() code, or 1 when the
 * queue is empty. Messages from or to a cut or crashed node vanish. */
static inline int fx_deliver(struct fx *fx)
{
        struct fx_msg m;
        int rc = 0;

        if (fx->n_msgs == 0)
                return 1;
        m = fx_take(fx, 0);
        if (!fx->cut[m.from] && !fx->cut[m.to] && !fx->nodes[m.to].down)
                rc = bl_kernel_paxos.recv(fx_p(fx, m.to), m.from, m.type, m.buf, m.len);
        free(m.buf);
        fx_auto(fx);
        return rc;
}

static inline void fx_deliver_all(struct fx *fx)
{
        for (int guard = 0; fx->n_msgs > 0 && guard < 200000; guard++)
                assert_int_equal(fx_deliver(fx), 0);
        assert_int_equal(fx->n_msgs, 0);
}

static inline void fx_tick(struct fx *fx)
{
        for (int i = 0; i < fx->n; i++)
                if (!fx->nodes[i].down)
                        bl_kernel_paxos.tick(fx_p(fx, i));
        fx_auto(fx);
}

static inline void fx_run(struct fx *fx, uint64_t ms)
{
        for (uint64_t t = 0; t < ms; t++) {
                fx->now += FX_MS;
                fx_tick(fx);
                fx_deliver_all(fx);
        }
}

/* The member that leads with the highest ballot, -1 if none. */
static inline int fx_leader(struct fx *fx)
{
        int l = -1;

        for (int i = 0; i < fx->n; i++) {
                struct bl_paxos *p = fx_p(fx, i);

                if (fx->nodes[i].down || p->role != BL_PAXOS_LEADER)
                        continue;
                if (l < 0 || p->ballot > fx_p(fx, l)->ballot)
                        l = i;
        }
        return l;
}

/* Run until some node leads and every live, connected node follows it. */
static inline int fx_elect(struct fx *fx)
{
        for (int t = 0; t < 5000; t++) {
                int l = fx_leader(fx);
                int agreed = l >= 0;

                for (int i = 0; agreed && i < fx->n; i++)
                        if (!fx->nodes[i].down && !fx->cut[i] && fx_p(fx, i)->leader != l)
                                agreed = 0;
                if (agreed)
                        return l;
                fx_run(fx, 1);
        }
        fail_msg("no leader elected");
        return -1;
}

static inline int fx_submit(struct fx *fx, int i, const char *cmd, uint64_t tag)
{
        int rc = bl_kernel_paxos.submit(fx_p(fx, i), cmd, strlen(cmd), 0, tag);

        fx_auto(fx);
        return rc;
}

static inline int fx_has_event(const struct fx_node *n, int type)
{
        for (int i = 0; i < n->n_events; i++)
                if (n->events[i].type == type)
                        return 1;
        return 0;
}

/* Hand-made messages delivered to node `to`. */
static inline int fx_prepare(struct fx *fx, int from, int to, uint64_t ballot, uint64_t first,
                             int force)
{
        struct bl_paxos_prepare m = {ballot, first, (uint8_t)force, 0};
        uint8_t buf[32];
        size_t len = bl_paxos_encode_prepare(&m, buf, sizeof(buf));
        int rc = bl_kernel_paxos.recv(fx_p(fx, to), from, BL_PAXOS_MSG_PREPARE, buf, len);

        fx_auto(fx);
        return rc;
}

/* An Accept of n commands "v<slot>" from `first` (n = 0: heartbeat). */
static inline int fx_accept(struct fx *fx, int from, int to, uint64_t ballot, uint64_t commit,
                            uint64_t first, int n)
{
        uint8_t buf[8192];
        struct bl_paxos_accept m = {
            .ballot = ballot, .commit = commit, .first = first, .n = (uint32_t)n};
        struct bl_wbuf w;
        int rc;

        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_accept(&w, &m);
        for (int i = 0; i < n; i++) {
                char cmd[24];
                int len = snprintf(cmd, sizeof(cmd), "v%llu", (unsigned long long)(first + i));

                bl_paxos_put_value(&w, BL_PAXOS_CMD, cmd, (uint32_t)len);
        }
        assert_true(w.ok);
        rc = bl_kernel_paxos.recv(fx_p(fx, to), from, BL_PAXOS_MSG_ACCEPT, buf, w.len);
        fx_auto(fx);
        return rc;
}

static inline struct bl_paxos_accepted fx_take_accepted(struct fx *fx, int from, int to)
{
        struct bl_paxos_accepted res;
        int i = fx_find(fx, from, to, BL_PAXOS_MSG_ACCEPTED);
        struct fx_msg m;

        assert_true(i >= 0);
        m = fx_take(fx, i);
        assert_int_equal(bl_paxos_decode_accepted(m.buf, m.len, &res), 0);
        free(m.buf);
        return res;
}

/* Take the first queued message of `type` from `from` to `to`; the caller
 * decodes it and frees buf. */
static inline struct fx_msg fx_take_type(struct fx *fx, int from, int to, int type)
{
        int i = fx_find(fx, from, to, type);

        assert_true(i >= 0);
        return fx_take(fx, i);
}

#endif
