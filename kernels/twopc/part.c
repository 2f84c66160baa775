/*
 * The participant: PREPARE and DECIDE become proposals of the shard's
 * replication kernel; once committed and applied they are answered (VOTE,
 * ACK). A transaction left in doubt (PREPARED, or READ_HELD) is asked about
 * every query_ns. In replicated mode the leader of a transaction's first
 * shard answers those QUERYs, settling an open transaction by proposing
 * DECIDE abort in its own log (the first DECIDE there wins).
 *
 * From Gray and Lamport, "Consensus on Transaction Commit", section 3: a
 * resource manager in the prepared state may not abort on its own; it must
 * learn the outcome. With 2pc/none it can only ask the coordinator and wait
 * (the blocking); with a replicated first shard any new leader can decide,
 * as the decision record is the group's log (their Paxos Commit makes the
 * same point with a different log).
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/events.h"
#include "kernels/twopc/internal.h"

static uint64_t now(const struct bl_tpc *t)
{
        return t->env.now(t->env.ctx);
}

void tpc_prop_free(struct tpc_prop *p)
{
        if (p == NULL)
                return;
        bl_free(p->wait);
        bl_free(p);
}

static uint64_t pkey(uint32_t shard, int kind)
{
        return (uint64_t)shard << 2 | (uint64_t)kind;
}

/* Propose cmd on shard with a new proposal record. Returns the record, or
 * NULL when it could not be proposed (the asker will ask again). */
static struct tpc_prop *propose(struct bl_tpc *t, uint32_t shard, int kind, uint64_t txn,
                                const void *cmd, size_t len)
{
        struct tpc_prop *p = bl_calloc(1, sizeof(*p));

        if (p == NULL)
                return NULL;
        p->tag = ++t->next_tag;
        p->txn = txn;
        p->shard = shard;
        p->kind = (uint8_t)kind;
        if (tpc_map_put(&t->props, p->tag, 0, p) != 0)
                goto out_free;
        if (tpc_map_put(&t->pkeys, txn, pkey(shard, kind), p) != 0)
                goto out_unmap;
        if (t->env.propose(t->env.ctx, (int)shard, cmd, len, p->tag) == 0)
                return p;
        tpc_map_del(&t->pkeys, txn, pkey(shard, kind));
out_unmap:
        tpc_map_del(&t->props, p->tag, 0);
out_free:
        tpc_prop_free(p);
        return NULL;
}

static void unmap_prop(struct bl_tpc *t, struct tpc_prop *p)
{
        tpc_map_del(&t->props, p->tag, 0);
        if (p->kind != P_COORD && tpc_map_get(&t->pkeys, p->txn, pkey(p->shard, p->kind)) == p)
                tpc_map_del(&t->pkeys, p->txn, pkey(p->shard, p->kind));
}

/* What this replica acknowledges for a DECIDE(commit): its decision, or
 * the DECIDE's own when it released its reads at once (READ_DONE: nothing
 * to undo either way); -1 while undecided. */
static int ack_value(const struct bl_tpc *t, uint32_t shard, uint64_t txn, int commit)
{
        struct bl_txs *s = t->env.store(t->env.ctx, (int)shard);
        struct bl_txs_info info;

        if (s != NULL && bl_txs_info(s, txn, &info) == 0 && info.state == BL_TXS_READ_DONE)
                return commit;
        return tpc_decided(t, shard, txn);
}

static void send_ack(struct bl_tpc *t, int rank, uint64_t txn, uint32_t shard, int commit)
{
        struct tpc_decide d = {txn, shard, (uint8_t)(commit != 0)};
        size_t n = tpc_decide_encode(t, &d);

        if (n > 0)
                t->env.send_rank(t->env.ctx, rank, BL_TPC_ACK, t->buf, n);
}

/* Send v (the vote bl_txs gave for a PREPARE of ops) to rank, or to the
 * leader of shard `rank` when to_shard. The lists read are the committed
 * prefixes; lists only grow, so the prefix is still there. */
static void send_vote(struct bl_tpc *t, uint32_t shard, const struct bl_txs_op *ops, uint32_t nops,
                      const struct bl_txs_vote_msg *v, int to, int to_shard)
{
        struct bl_txs *s = t->env.store(t->env.ctx, (int)shard);
        struct tpc_vote m = {v->txn, shard, v->vote, 0, 0, NULL};
        size_t n;

        if (v->vote == BL_TXS_NO)
                m.reason = v->reason;
        else if (v->reads != NULL && v->nreads == nops && s != NULL && ops != NULL) {
                m.reads = bl_calloc(nops, sizeof(*m.reads));
                if (m.reads == NULL)
                        return; /* the coordinator asks again */
                m.nreads = nops;
                for (uint32_t i = 0; i < nops; i++) {
                        const uint64_t *list;
                        size_t len;

                        if (ops[i].kind != BL_TXS_READ)
                                continue;
                        m.reads[i].value = v->reads[i].value;
                        len = bl_txs_list(s, ops[i].key, &list);
                        if (v->reads[i].list_len < len)
                                len = (size_t)v->reads[i].list_len;
                        m.reads[i].list_len = (uint32_t)len;
                        m.reads[i].list = list;
                }
        }
        n = tpc_vote_encode(t, &m);
        bl_free(m.reads);
        if (n == 0)
                return;
        if (to_shard)
                t->env.send_shard(t->env.ctx, to, BL_TPC_VOTE, t->buf, n);
        else
                t->env.send_rank(t->env.ctx, to, BL_TPC_VOTE, t->buf, n);
}

/* ---- query timers ---- */

static void unwatch(struct bl_tpc *t, uint64_t txn, uint32_t shard)
{
        struct tpc_watch *w = tpc_map_del(&t->watch, txn, shard);

        if (w == NULL)
                return;
        if (w->prev != NULL)
                w->prev->next = w->next;
        else
                t->whead = w->next;
        if (w->next != NULL)
                w->next->prev = w->prev;
        t->nwatch[shard]--;
        bl_free(w);
}

/* Watch txn on shard if this replica holds it in doubt. */
static void watch(struct bl_tpc *t, uint32_t shard, uint64_t txn)
{
        struct bl_txs *s = t->env.store(t->env.ctx, (int)shard);
        struct bl_txs_info info;
        struct tpc_watch *w;

        if (s == NULL || bl_txs_info(s, txn, &info) != 0 ||
            (info.state != BL_TXS_PREPARED && info.state != BL_TXS_READ_HELD) ||
            tpc_map_get(&t->watch, txn, shard) != NULL)
                return;
        w = bl_calloc(1, sizeof(*w));
        if (w == NULL)
                return;
        w->txn = txn;
        w->shard = shard;
        w->coord = info.coord;
        w->next_ns = now(t) + t->cfg.query_ns;
        if (tpc_map_put(&t->watch, txn, shard, w) != 0) {
                bl_free(w);
                return;
        }
        w->next = t->whead;
        if (t->whead != NULL)
                t->whead->prev = w;
        t->whead = w;
        t->nwatch[shard]++;
}

void tpc_watch_free_all(struct bl_tpc *t)
{
        struct tpc_watch *w, *next;

        for (w = t->whead; w != NULL; w = next) {
                next = w->next;
                bl_free(w);
        }
        t->whead = NULL;
        tpc_map_free(&t->watch);
}

static void send_query(struct bl_tpc *t, const struct tpc_watch *w)
{
        struct tpc_query q = {w->txn, w->shard, w->coord};
        size_t n = tpc_query_encode(t, &q);

        if (n == 0)
                return;
        if (t->cfg.replicated)
                t->env.send_shard(t->env.ctx, (int)w->coord, BL_TPC_QUERY, t->buf, n);
        else
                t->env.send_rank(t->env.ctx, (int)w->coord, BL_TPC_QUERY, t->buf, n);
        t->st.queries_sent++;
}

/* In-doubt transactions this object does not watch (a replica restored from
 * a snapshot, a new object after a crash): find them, at most every query_ns. */
static void rescan(struct bl_tpc *t, uint32_t shard, uint64_t ts)
{
        struct bl_txs *s = t->env.store(t->env.ctx, (int)shard);
        struct bl_txs_stats st;
        uint64_t *ids;
        size_t n;

        if (s == NULL || ts < t->rescan_ns[shard])
                return;
        t->rescan_ns[shard] = ts + t->cfg.query_ns;
        bl_txs_stats(s, &st);
        if (st.in_doubt + st.read_held <= t->nwatch[shard])
                return;
        ids = bl_malloc((st.in_doubt + st.read_held) * sizeof(*ids));
        if (ids == NULL)
                return;
        n = bl_txs_open(s, ids, st.in_doubt + st.read_held);
        for (size_t i = 0; i < n && i < st.in_doubt + st.read_held; i++)
                watch(t, shard, ids[i]);
        bl_free(ids);
}

void tpc_part_tick(struct bl_tpc *t)
{
        uint64_t ts = now(t);
        struct tpc_watch *w, *next;

        for (uint32_t s = 0; s < (uint32_t)t->cfg.nshards; s++)
                rescan(t, s, ts);
        for (w = t->whead; w != NULL; w = next) {
                next = w->next;
                if (ts < w->next_ns)
                        continue;
                if (tpc_decided(t, w->shard, w->txn) >= 0 ||
                    t->env.store(t->env.ctx, (int)w->shard) == NULL) {
                        unwatch(t, w->txn, w->shard);
                        continue;
                }
                w->next_ns = ts + t->cfg.query_ns;
                /* Only the leader speaks for the shard; a transaction this
                 * object coordinates is decided here, no need to ask. */
                if (!t->env.is_leader(t->env.ctx, (int)w->shard) ||
                    tpc_map_get(&t->txns, w->txn, 0) != NULL)
                        continue;
                send_query(t, w);
        }
}

/* ---- PREPARE, DECIDE ---- */

void tpc_part_prepare(struct bl_tpc *t, int src, const struct tpc_prepare *m)
{
        struct bl_txs_cmd c = {
            .type = BL_TXS_CMD_PREPARE,
            .txn = m->txn,
            .ts = m->ts,
            .coord = m->coord,
            .flags = m->flags,
            .nops = m->nops,
            .ops = m->ops,
        };
        struct tpc_prop *p;
        size_t n;
        uint8_t *buf;

        if (t->env.store(t->env.ctx, (int)m->shard) == NULL)
                return; /* no replica here: misrouted */
        p = tpc_map_get(&t->pkeys, m->txn, pkey(m->shard, P_PREPARE));
        if (p != NULL) { /* a resend while ours is in flight: answer the latest */
                p->src = src;
                return;
        }
        /* A resend of a prepared transaction is proposed too: the record
         * answers it with the vote and reads, once committed. */
        n = bl_txs_cmd_size(&c);
        if ((buf = tpc_scratch(t, n)) == NULL || bl_txs_cmd_encode(&c, buf, n) != n)
                return;
        p = propose(t, m->shard, P_PREPARE, m->txn, buf, n);
        if (p != NULL)
                p->src = src;
}

void tpc_part_decide(struct bl_tpc *t, int src, const struct tpc_decide *m)
{
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_DECIDE, .txn = m->txn, .commit = m->commit};
        struct tpc_prop *p;
        uint8_t cmd[16];
        size_t n;
        int d;

        if (t->env.store(t->env.ctx, (int)m->shard) == NULL)
                return;
        d = ack_value(t, m->shard, m->txn, m->commit);
        if (d >= 0) { /* decided and applied: a duplicate */
                send_ack(t, src, m->txn, m->shard, d);
                return;
        }
        p = tpc_map_get(&t->pkeys, m->txn, pkey(m->shard, P_DECIDE));
        if (p != NULL) {
                p->src = src;
                return;
        }
        n = bl_txs_cmd_encode(&c, cmd, sizeof(cmd));
        if (n == 0)
                return;
        p = propose(t, m->shard, P_DECIDE, m->txn, cmd, n);
        if (p != NULL) {
                p->src = src;
                p->commit = m->commit;
        }
}

/* ---- QUERY (replicated: at the leader of the first shard) ---- */

static int add_waiter(struct tpc_prop *p, int rank, uint32_t shard)
{
        for (uint32_t i = 0; i < p->nwait; i++)
                if (p->wait[i].rank == rank && p->wait[i].shard == shard)
                        return 0;
        if (p->nwait == p->capwait) {
                uint32_t cap = p->capwait ? p->capwait * 2 : 4;
                struct tpc_waiter *w = bl_realloc(p->wait, cap * sizeof(*w));

                if (w == NULL)
                        return BL_ENOMEM;
                p->wait = w;
                p->capwait = cap;
        }
        p->wait[p->nwait++] = (struct tpc_waiter){rank, shard};
        return 0;
}

void tpc_part_query(struct bl_tpc *t, int src, const struct tpc_query *q)
{
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_DECIDE, .txn = q->txn, .commit = 0};
        struct tpc_txn *x = tpc_map_get(&t->txns, q->txn, 0);
        uint32_t first = q->coord;
        struct tpc_prop *p;
        uint8_t cmd[16];
        size_t n;
        int d;

        if (t->env.store(t->env.ctx, (int)first) == NULL ||
            !t->env.is_leader(t->env.ctx, (int)first))
                return; /* the runtime routes it to the leader; ask again later */
        if (x != NULL) {
                /* Coordinated here: its decision comes (an asking
                 * coordinator that leads again proposes it at its tick). */
                if (x->state == C_FINISH)
                        tpc_send_answer(t, src, q->txn, q->shard, x->commit);
                return;
        }
        d = tpc_decided(t, first, q->txn);
        if (d >= 0) {
                tpc_send_answer(t, src, q->txn, q->shard, d);
                return;
        }
        /* Open or unknown here: nobody coordinates it any more. Settle it:
         * abort, unless a commit comes first in the log. */
        p = tpc_map_get(&t->pkeys, q->txn, pkey(first, P_RESOLVE));
        if (p == NULL) {
                n = bl_txs_cmd_encode(&c, cmd, sizeof(cmd));
                if (n == 0 || (p = propose(t, first, P_RESOLVE, q->txn, cmd, n)) == NULL)
                        return;
                t->st.resolved_aborts++;
        }
        add_waiter(p, src, q->shard);
}

/* ---- completions from the runtime ---- */

static void complete(struct bl_tpc *t, struct tpc_prop *p, const struct bl_txs_cmd *c,
                     const struct bl_txs_vote_msg *v)
{
        int d;

        switch (p->kind) {
        case P_PREPARE:
                if (c->type == BL_TXS_CMD_PREPARE && v != NULL && v->vote != BL_TXS_PENDING)
                        send_vote(t, p->shard, c->ops, c->nops, v, p->src, 0);
                break; /* pending: bl_tpc_vote_ready sends it */
        case P_DECIDE:
                d = ack_value(t, p->shard, p->txn, p->commit);
                if (d >= 0)
                        send_ack(t, p->src, p->txn, p->shard, d);
                break;
        case P_RESOLVE:
                d = tpc_decided(t, p->shard, p->txn);
                if (d < 0)
                        break;
                if (t->env.event != NULL)
                        t->env.event(t->env.ctx, BL_EV_TXN_RESOLVED, (int64_t)p->txn, d);
                for (uint32_t i = 0; i < p->nwait; i++)
                        tpc_send_answer(t, p->wait[i].rank, p->txn, p->wait[i].shard, d);
                break;
        case P_COORD:
                tpc_coord_applied(t, p->txn, p->tag);
                break;
        }
}

void bl_tpc_applied(struct bl_tpc *t, int shard, const struct bl_txs_cmd *c,
                    const struct bl_txs_vote_msg *v, uint64_t tag)
{
        struct tpc_prop *p;

        if (c == NULL || shard < 0 || shard >= t->cfg.nshards)
                return;
        /* Every replica keeps its timers and waiting ops, as any may lead. */
        if (c->type == BL_TXS_CMD_PREPARE && v != NULL && v->vote == BL_TXS_PENDING) {
                if (tpc_map_get(&t->wops, c->txn, (uint64_t)shard) == NULL && c->nops > 0) {
                        struct tpc_wops *o = bl_malloc(sizeof(*o) + c->nops * sizeof(o->ops[0]));

                        if (o != NULL) {
                                o->nops = c->nops;
                                memcpy(o->ops, c->ops, c->nops * sizeof(o->ops[0]));
                                if (tpc_map_put(&t->wops, c->txn, (uint64_t)shard, o) != 0)
                                        bl_free(o);
                        }
                }
        } else if (c->type == BL_TXS_CMD_PREPARE) {
                watch(t, (uint32_t)shard, c->txn);
        } else {
                bl_free(tpc_map_del(&t->wops, c->txn, (uint64_t)shard));
                unwatch(t, c->txn, (uint32_t)shard);
        }
        if (tag == 0 || (p = tpc_map_get(&t->props, tag, 0)) == NULL)
                return;
        unmap_prop(t, p);
        complete(t, p, c, v);
        tpc_prop_free(p);
}

void bl_tpc_vote_ready(struct bl_tpc *t, int shard, const struct bl_txs_vote_msg *v)
{
        struct tpc_wops *o;

        if (v == NULL || shard < 0 || shard >= t->cfg.nshards)
                return;
        o = tpc_map_del(&t->wops, v->txn, (uint64_t)shard);
        watch(t, (uint32_t)shard, v->txn);
        /* To the coordinator's address; without the ops (lost in a
         * restore) a YES cannot carry its lists: the resend gets them. */
        if (t->env.is_leader(t->env.ctx, shard) && (v->vote == BL_TXS_NO || o != NULL))
                send_vote(t, (uint32_t)shard, o != NULL ? o->ops : NULL, o != NULL ? o->nops : 0, v,
                          (int)v->coord, t->cfg.replicated);
        bl_free(o);
}

void bl_tpc_dropped(struct bl_tpc *t, int shard, uint64_t tag)
{
        struct tpc_prop *p = tpc_map_get(&t->props, tag, 0);

        (void)shard;
        if (p == NULL)
                return;
        unmap_prop(t, p);
        if (p->kind == P_COORD)
                tpc_coord_dropped(t, p->txn, p->tag);
        tpc_prop_free(p);
}
