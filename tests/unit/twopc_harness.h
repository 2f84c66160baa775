/* An in-process cluster for the commit layer's unit tests: ranks, shards with an ideal log, a lossy
 * network, a fake WAL. */
#ifndef BL_TESTS_TWOPC_HARNESS_H
#define BL_TESTS_TWOPC_HARNESS_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/events.h"
#include "kernels/twopc/twopc.h"
#include "store/kv.h"
#include "store/txn.h"

/*
 * Every "rank" runs one struct bl_tpc. Shard s has replicas on the ranks
 * members[s][] and a leader; its replication is an ideal log: a proposal
 * (accepted only by the leader) is applied, at the next h_settle, to every
 * replica's struct bl_txs in log order, and each rank's bl_tpc_applied is
 * called (with the tag on the proposer, 0 elsewhere), then the ready votes
 * are drained into bl_tpc_vote_ready. A log may be held (nothing applied)
 * to build races. Messages go through one FIFO with a delivery time; links
 * may be cut (messages dropped); messages to a crashed rank are lost. The
 * WAL of a rank keeps its records; durability is reported at each settle
 * unless auto_durable is off. One call to h_round advances the clock by dt,
 * ticks every rank and settles.
 */

#define H_RANKS   6
#define H_SHARDS  4
#define H_RESULTS 1024
#define H_OPS     16
#define H_LIST    8
#define H_SENT    256

struct h;

struct hctx {
        struct h *h;
        int rank;
};

struct hmsg {
        int src, dst, type;
        size_t len;
        uint8_t *buf;
        uint64_t at;
        struct hmsg *next;
};

struct hentry {
        int proposer;
        uint64_t tag;
        int dropped;
        size_t len;
        uint8_t *cmd;
        struct hentry *next;
};

struct hrec {
        uint64_t seq;
        int type;
        size_t len;
        uint8_t *buf;
};

struct hres {
        uint64_t id, cookie;
        int outcome, reason;
        uint32_t nops;
        int has_reads;
        uint64_t value[H_OPS];
        uint32_t list_len[H_OPS];
        uint64_t list[H_OPS][H_LIST];
        uint32_t nshards;
        uint32_t shards[H_SHARDS];
};

/* What was sent, for order assertions: type, destination shard (-1: rank
 * send) and, for PREPARE, the shard and flags from the message. */
struct hsent {
        int type, src, to_shard, to_rank;
        uint32_t shard;
        uint8_t flags;
};

struct h {
        int nranks, nshards, replicated, cc;
        uint64_t now, dt, delay;
        struct bl_tpc_cfg cfg;
        struct bl_tpc *tpc[H_RANKS];
        struct hctx ctx[H_RANKS];
        int up[H_RANKS];
        int cut[H_RANKS][H_RANKS];
        int dup; /* deliver every message twice */
        /* Random faults (h_rand): drop and duplicate per mille, delay up to
         * max_delay. */
        uint64_t rng;
        int drop_pm, dup_pm;
        uint64_t max_delay;
        int nmembers[H_SHARDS];
        int members[H_SHARDS][H_RANKS];
        int leader[H_SHARDS];
        int hold[H_SHARDS];        /* apply nothing */
        int hold_decide[H_SHARDS]; /* stop before the first DECIDE */
        struct bl_txs *store[H_SHARDS][H_RANKS];
        struct hentry *log[H_SHARDS];
        uint64_t index[H_SHARDS];
        int apply_einval; /* applies refused by bl_txs (first DECIDE wins) */
        struct hmsg *q, *qtail;
        struct hrec *wal[H_RANKS];
        size_t nwal[H_RANKS];
        uint64_t seq[H_RANKS], durable[H_RANKS];
        int auto_durable;
        struct hres res[H_RESULTS];
        int nres;
        int ev[BL_EV__COUNT];
        struct hsent sent[H_SENT];
        int nsent;
        int recv_errors;
};

static inline uint64_t h_now(void *ctx)
{
        return ((struct hctx *)ctx)->h->now;
}

static inline uint64_t h_rand(struct h *h)
{
        /* splitmix64 */
        uint64_t z = (h->rng += 0x9e3779b97f4a7c15ULL);

        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static inline void h_enqueue(struct h *h, int src, int dst, int type, const void *buf, size_t len)
{
        struct hmsg *m;

        if (h->drop_pm > 0 && (int)(h_rand(h) % 1000) < h->drop_pm)
                return;
        if (h->dup_pm > 0 && (int)(h_rand(h) % 1000) < h->dup_pm) {
                int d = h->dup_pm;

                h->dup_pm = 0;
                h_enqueue(h, src, dst, type, buf, len);
                h->dup_pm = d;
        }
        m = calloc(1, sizeof(*m));
        m->src = src;
        m->dst = dst;
        m->type = type;
        m->len = len;
        m->buf = malloc(len > 0 ? len : 1);
        memcpy(m->buf, buf, len);
        m->at = h->now + h->delay + (h->max_delay > 0 ? h_rand(h) % h->max_delay : 0);
        if (h->qtail != NULL)
                h->qtail->next = m;
        else
                h->q = m;
        h->qtail = m;
}

static inline void h_note(struct h *h, int src, int type, int to_shard, int to_rank,
                          const void *buf, size_t len)
{
        struct hsent *s;
        const uint8_t *b = buf;

        if (h->nsent >= H_SENT)
                return;
        s = &h->sent[h->nsent++];
        memset(s, 0, sizeof(*s));
        s->type = type;
        s->src = src;
        s->to_shard = to_shard;
        s->to_rank = to_rank;
        if (type == BL_TPC_PREPARE && len >= 29) {
                s->flags = b[20];
                s->shard = (uint32_t)b[21] | (uint32_t)b[22] << 8 | (uint32_t)b[23] << 16 |
                           (uint32_t)b[24] << 24;
        } else if (len >= 12) {
                s->shard = (uint32_t)b[8] | (uint32_t)b[9] << 8 | (uint32_t)b[10] << 16 |
                           (uint32_t)b[11] << 24;
        }
}

static inline void h_send_shard(void *ctx, int shard, int type, const void *buf, size_t len)
{
        struct hctx *c = ctx;

        h_note(c->h, c->rank, type, shard, -1, buf, len);
        h_enqueue(c->h, c->rank, c->h->leader[shard], type, buf, len);
}

static inline void h_send_rank(void *ctx, int rank, int type, const void *buf, size_t len)
{
        struct hctx *c = ctx;

        h_note(c->h, c->rank, type, -1, rank, buf, len);
        if (rank >= 0 && rank < c->h->nranks)
                h_enqueue(c->h, c->rank, rank, type, buf, len);
}

static inline int h_propose(void *ctx, int shard, const void *cmd, size_t len, uint64_t tag)
{
        struct hctx *c = ctx;
        struct h *h = c->h;
        struct hentry *e, **pp;

        if (h->store[shard][c->rank] == NULL)
                return BL_ENOTFOUND;
        if (h->leader[shard] != c->rank)
                return BL_ENOTLEADER;
        e = calloc(1, sizeof(*e));
        e->proposer = c->rank;
        e->tag = tag;
        e->len = len;
        e->cmd = malloc(len);
        memcpy(e->cmd, cmd, len);
        for (pp = &h->log[shard]; *pp != NULL; pp = &(*pp)->next)
                ;
        *pp = e;
        return 0;
}

static inline int h_is_leader(void *ctx, int shard)
{
        struct hctx *c = ctx;

        return c->h->leader[shard] == c->rank;
}

static inline struct bl_txs *h_store(void *ctx, int shard)
{
        struct hctx *c = ctx;

        return shard >= 0 && shard < c->h->nshards ? c->h->store[shard][c->rank] : NULL;
}

static inline uint64_t h_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct hctx *c = ctx;
        struct h *h = c->h;
        int r = c->rank;
        struct hrec *rec;

        h->wal[r] = realloc(h->wal[r], (h->nwal[r] + 1) * sizeof(*h->wal[r]));
        rec = &h->wal[r][h->nwal[r]++];
        rec->seq = ++h->seq[r];
        rec->type = type;
        rec->len = len;
        rec->buf = malloc(len > 0 ? len : 1);
        memcpy(rec->buf, buf, len);
        return rec->seq;
}

static inline void h_done(void *ctx, const struct bl_tpc_result *r)
{
        struct hctx *c = ctx;
        struct h *h = c->h;
        struct hres *o;

        if (h->nres >= H_RESULTS)
                return;
        o = &h->res[h->nres++];
        memset(o, 0, sizeof(*o));
        o->id = r->id;
        o->cookie = r->cookie;
        o->outcome = r->outcome;
        o->reason = r->reason;
        o->nops = r->nops;
        o->has_reads = r->reads != NULL;
        for (uint32_t i = 0; r->reads != NULL && i < r->nops && i < H_OPS; i++) {
                o->value[i] = r->reads[i].value;
                o->list_len[i] = r->reads[i].list_len;
                for (uint32_t j = 0; j < r->reads[i].list_len && j < H_LIST; j++)
                        o->list[i][j] = r->reads[i].list[j];
        }
        o->nshards = r->nshards;
        for (uint32_t i = 0; i < r->nshards && i < H_SHARDS; i++)
                o->shards[i] = r->shards[i];
}

static inline void h_event(void *ctx, int type, int64_t a, int64_t b)
{
        struct hctx *c = ctx;

        (void)a;
        (void)b;
        if (type >= 0 && type < BL_EV__COUNT)
                c->h->ev[type]++;
}

static inline struct bl_tpc *h_make(struct h *h, int r)
{
        struct bl_tpc_env env = {
            .ctx = &h->ctx[r],
            .now = h_now,
            .send_shard = h_send_shard,
            .send_rank = h_send_rank,
            .propose = h_propose,
            .is_leader = h_is_leader,
            .store = h_store,
            .persist = h_persist,
            .done = h_done,
            .event = h_event,
        };
        struct bl_tpc_cfg cfg = h->cfg;

        cfg.rank = r;
        return bl_tpc_create(&env, &cfg);
}

/* A cluster of nranks; shard s's replicas on ranks members[s][0..nrep),
 * the first one leading. */
static inline struct h *h_new(int nranks, int nshards, int replicated, int cc)
{
        struct h *h = calloc(1, sizeof(*h));

        h->nranks = nranks;
        h->nshards = nshards;
        h->replicated = replicated;
        h->cc = cc;
        h->now = 1000000;
        h->dt = 1000000; /* 1 ms */
        h->auto_durable = 1;
        h->cfg = (struct bl_tpc_cfg){
            .nshards = nshards,
            .replicated = replicated,
            .retry_ns = 10000000,   /* 10 ms */
            .timeout_ns = 50000000, /* 50 ms */
            .query_ns = 20000000,   /* 20 ms */
        };
        for (int s = 0; s < nshards; s++)
                h->leader[s] = -1;
        for (int r = 0; r < nranks; r++) {
                h->ctx[r] = (struct hctx){h, r};
                h->up[r] = 1;
        }
        return h;
}

static inline void h_add_replica(struct h *h, int shard, int rank)
{
        h->members[shard][h->nmembers[shard]++] = rank;
        h->store[shard][rank] = bl_txs_create(shard, h->nshards, h->cc, 100);
        if (h->leader[shard] < 0)
                h->leader[shard] = rank;
}

static inline void h_start(struct h *h)
{
        for (int r = 0; r < h->nranks; r++) {
                h->tpc[r] = h_make(h, r);
                bl_tpc_start(h->tpc[r]);
        }
}

static inline void h_free(struct h *h)
{
        for (int r = 0; r < h->nranks; r++) {
                bl_tpc_destroy(h->tpc[r]);
                for (size_t i = 0; i < h->nwal[r]; i++)
                        free(h->wal[r][i].buf);
                free(h->wal[r]);
        }
        for (int s = 0; s < h->nshards; s++) {
                for (int r = 0; r < H_RANKS; r++)
                        bl_txs_destroy(h->store[s][r]);
                while (h->log[s] != NULL) {
                        struct hentry *e = h->log[s];

                        h->log[s] = e->next;
                        free(e->cmd);
                        free(e);
                }
        }
        while (h->q != NULL) {
                struct hmsg *m = h->q;

                h->q = m->next;
                free(m->buf);
                free(m);
        }
        free(h);
}

/* Apply shard s's log on every replica. Returns entries applied. */
static inline int h_apply(struct h *h, int s)
{
        int n = 0;

        while (!h->hold[s] && h->log[s] != NULL &&
               !(h->hold_decide[s] && h->log[s]->cmd[0] == BL_TXS_CMD_DECIDE)) {
                struct hentry *e = h->log[s];
                uint64_t index = ++h->index[s];

                h->log[s] = e->next;
                for (int i = 0; i < h->nmembers[s]; i++) {
                        int r = h->members[s][i];
                        struct bl_txs *st = h->store[s][r];
                        struct bl_txs_vote_msg v, rv;
                        struct bl_txs_cmd c;
                        int rc;

                        rc = bl_txs_apply(st, e->cmd, e->len, index, h->now, &v);
                        if (rc == BL_EINVAL && i == 0)
                                h->apply_einval++;
                        if (rc != 0 && rc != BL_EINVAL)
                                abort();
                        if (bl_txs_cmd_decode(&c, e->cmd, e->len) != 0)
                                abort();
                        if (h->up[r] && h->tpc[r] != NULL)
                                bl_tpc_applied(h->tpc[r], s, &c, &v,
                                               e->proposer == r && !e->dropped ? e->tag : 0);
                        bl_txs_cmd_free(&c);
                        while (bl_txs_next_vote(st, &rv))
                                if (h->up[r] && h->tpc[r] != NULL)
                                        bl_tpc_vote_ready(h->tpc[r], s, &rv);
                }
                free(e->cmd);
                free(e);
                n++;
        }
        return n;
}

static inline struct hmsg *h_pop_due(struct h *h)
{
        struct hmsg *prev = NULL;

        for (struct hmsg **pp = &h->q; *pp != NULL; prev = *pp, pp = &(*pp)->next) {
                struct hmsg *m = *pp;

                if (m->at > h->now)
                        continue;
                *pp = m->next;
                if (h->qtail == m)
                        h->qtail = prev;
                return m;
        }
        return NULL;
}

/* Deliver the messages due now, in send order. Returns how many were
 * delivered or lost. */
static inline int h_deliver(struct h *h)
{
        struct hmsg *m;
        int n = 0;

        while ((m = h_pop_due(h)) != NULL) {
                if (h->up[m->dst] && h->tpc[m->dst] != NULL && !h->cut[m->src][m->dst])
                        for (int k = 0; k < (h->dup ? 2 : 1); k++)
                                if (bl_tpc_recv(h->tpc[m->dst], m->src, m->type, m->buf, m->len) !=
                                    0)
                                        h->recv_errors++;
                free(m->buf);
                free(m);
                n++;
        }
        return n;
}

static inline int h_durable(struct h *h)
{
        int n = 0;

        if (!h->auto_durable)
                return 0;
        for (int r = 0; r < h->nranks; r++)
                if (h->up[r] && h->tpc[r] != NULL && h->durable[r] < h->seq[r]) {
                        h->durable[r] = h->seq[r];
                        bl_tpc_durable(h->tpc[r], h->durable[r]);
                        n++;
                }
        return n;
}

/* Apply, deliver and make durable until nothing moves. */
static inline void h_settle(struct h *h)
{
        for (int guard = 0; guard < 10000; guard++) {
                int n = 0;

                for (int s = 0; s < h->nshards; s++)
                        n += h_apply(h, s);
                n += h_deliver(h);
                n += h_durable(h);
                if (n == 0)
                        return;
        }
        abort(); /* a livelock in the protocol */
}

static inline void h_round(struct h *h)
{
        h->now += h->dt;
        for (int r = 0; r < h->nranks; r++)
                if (h->up[r] && h->tpc[r] != NULL)
                        bl_tpc_tick(h->tpc[r]);
        h_settle(h);
}

static inline void h_rounds(struct h *h, int n)
{
        for (int i = 0; i < n; i++)
                h_round(h);
}

/* Crash rank r: its commit layer is destroyed, non-durable records lost,
 * its pending proposals dropped. Stores are kept (their logs are durable). */
static inline void h_crash(struct h *h, int r)
{
        size_t keep = 0;

        bl_tpc_destroy(h->tpc[r]);
        h->tpc[r] = NULL;
        h->up[r] = 0;
        for (size_t i = 0; i < h->nwal[r]; i++) {
                if (h->wal[r][i].seq <= h->durable[r])
                        h->wal[r][keep++] = h->wal[r][i];
                else
                        free(h->wal[r][i].buf);
        }
        h->nwal[r] = keep;
        h->seq[r] = h->durable[r];
        for (int s = 0; s < h->nshards; s++)
                for (struct hentry *e = h->log[s]; e != NULL; e = e->next)
                        if (e->proposer == r)
                                e->dropped = 1;
}

/* Recover rank r: a new object, the durable records replayed, started. */
static inline int h_recover(struct h *h, int r)
{
        h->tpc[r] = h_make(h, r);
        for (size_t i = 0; i < h->nwal[r]; i++) {
                int rc = bl_tpc_replay(h->tpc[r], h->wal[r][i].seq, h->wal[r][i].type,
                                       h->wal[r][i].buf, h->wal[r][i].len);
                if (rc != 0)
                        return rc;
        }
        h->up[r] = 1;
        bl_tpc_start(h->tpc[r]);
        return 0;
}

/* Leadership of shard s moves to rank r. The old leader's pending entries
 * are reported dropped to it; with keep they are still committed later
 * (as Raft may commit an entry its deposed leader reported lost). */
static inline void h_set_leader(struct h *h, int s, int r, int keep)
{
        int old = h->leader[s];
        struct hentry **pp = &h->log[s];

        h->leader[s] = r;
        while (*pp != NULL) {
                struct hentry *e = *pp;

                if (e->proposer != old) {
                        pp = &e->next;
                        continue;
                }
                if (!e->dropped && h->up[old] && h->tpc[old] != NULL)
                        bl_tpc_dropped(h->tpc[old], s, e->tag);
                e->dropped = 1;
                if (keep) {
                        pp = &e->next;
                        continue;
                }
                *pp = e->next;
                free(e->cmd);
                free(e);
        }
}

/* Append a command to shard s's log from outside the commit layer (a
 * transaction of another coordinator, set up by the test). */
static inline void h_log_cmd(struct h *h, int s, const struct bl_txs_cmd *c)
{
        struct hentry *e = calloc(1, sizeof(*e)), **pp;

        e->proposer = -1;
        e->len = bl_txs_cmd_size(c);
        e->cmd = malloc(e->len);
        if (bl_txs_cmd_encode(c, e->cmd, e->len) != e->len)
                abort();
        for (pp = &h->log[s]; *pp != NULL; pp = &(*pp)->next)
                ;
        *pp = e;
}

static inline const struct hres *h_result(const struct h *h, uint64_t id)
{
        const struct hres *found = NULL;
        int n = 0;

        for (int i = 0; i < h->nres; i++)
                if (h->res[i].id == id) {
                        found = &h->res[i];
                        n++;
                }
        return n == 1 ? found : NULL; /* reported exactly once */
}

static inline int h_count_results(const struct h *h, uint64_t id)
{
        int n = 0;

        for (int i = 0; i < h->nres; i++)
                n += h->res[i].id == id;
        return n;
}

static inline int h_state(const struct h *h, int s, int r, uint64_t txn)
{
        struct bl_txs_info info;

        if (bl_txs_info(h->store[s][r], txn, &info) != 0)
                return -1;
        return info.state;
}

/* A key of shard s (the i-th found). */
static inline uint64_t h_key(const struct h *h, int s, int i)
{
        for (uint64_t k = 1;; k++)
                if (bl_shard_of(k, h->nshards) == s && i-- == 0)
                        return k;
}

static inline int h_count_sent(const struct h *h, int type, int shard)
{
        int n = 0;

        for (int i = 0; i < h->nsent; i++)
                n += h->sent[i].type == type && (shard < 0 || (int)h->sent[i].shard == shard);
        return n;
}

#endif
