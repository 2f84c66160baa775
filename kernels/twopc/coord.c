/*
 * The coordinator: PREPARE to every shard, gather the votes, log the
 * decision, report it, DECIDE until acknowledged (twopc.h has the timeline).
 *
 * From Gray and Lamport, "Consensus on Transaction Commit" (2006), section 3:
 * the transaction manager sends Prepared requests, commits when every
 * resource manager is prepared and aborts when one is not, and must record
 * its decision in stable storage before sending it. Presumed abort (Mohan,
 * Lindsay and Obermarck, 1986): an abort needs no record, so a coordinator
 * that knows nothing of a transaction answers abort.
 *
 * In replicated mode the coordinator's stable storage is the first shard's
 * group: the decision is that shard's DECIDE command, whichever DECIDE of
 * the transaction comes first in its log wins (store/txn.h), and the
 * coordinator sends the decision that won, read back from its replica.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/events.h"
#include "kernels/twopc/internal.h"
#include "store/kv.h" /* bl_shard_of */

static uint64_t now(const struct bl_tpc *t)
{
        return t->env.now(t->env.ctx);
}

void tpc_txn_free(struct tpc_txn *x)
{
        if (x == NULL)
                return;
        if (x->reads != NULL)
                for (uint32_t i = 0; i < x->nops; i++)
                        bl_free((void *)x->reads[i].list);
        bl_free(x->reads);
        bl_free(x->ops);
        bl_free(x->parts);
        bl_free(x->pos);
        bl_free(x->wshards);
        bl_free(x);
}

static void link_txn(struct bl_tpc *t, struct tpc_txn *x)
{
        x->prev = t->tail;
        x->next = NULL;
        if (t->tail != NULL)
                t->tail->next = x;
        else
                t->head = x;
        t->tail = x;
}

static void unlink_txn(struct bl_tpc *t, struct tpc_txn *x)
{
        if (x->prev != NULL)
                x->prev->next = x->next;
        else
                t->head = x->next;
        if (x->next != NULL)
                x->next->prev = x->prev;
        else
                t->tail = x->prev;
        x->prev = x->next = NULL;
}

static struct tpc_txn *get_txn(const struct bl_tpc *t, uint64_t id)
{
        return tpc_map_get(&t->txns, id, 0);
}

static struct tpc_part *part_of(struct tpc_txn *x, uint32_t shard)
{
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].shard == shard)
                        return &x->parts[i];
        return NULL;
}

/* Where this rank's participants and the coordinator's peers reach the coordinator. */
static uint32_t coord_addr(const struct bl_tpc *t, const struct tpc_txn *x)
{
        return t->cfg.replicated ? x->parts[0].shard : (uint32_t)t->cfg.rank;
}

int tpc_decided(const struct bl_tpc *t, uint32_t shard, uint64_t txn)
{
        struct bl_txs *s = t->env.store(t->env.ctx, (int)shard);
        struct bl_txs_info info;

        if (s == NULL || bl_txs_info(s, txn, &info) != 0)
                return -1;
        switch (info.state) {
        case BL_TXS_COMMITTED:
        case BL_TXS_READ_DONE:
                return 1;
        case BL_TXS_ABORTED:
                return 0;
        default:
                return -1;
        }
}

void tpc_send_answer(struct bl_tpc *t, int rank, uint64_t txn, uint32_t shard, int commit)
{
        struct tpc_decide d = {txn, shard, (uint8_t)(commit != 0)};
        size_t n = tpc_decide_encode(t, &d);

        if (n == 0)
                return;
        t->env.send_rank(t->env.ctx, rank, BL_TPC_DECIDE, t->buf, n);
        t->st.queries_answered++;
}

/* ---- sending ---- */

static void send_prepare(struct bl_tpc *t, struct tpc_txn *x, struct tpc_part *p)
{
        struct tpc_prepare m = {
            .txn = x->id,
            .ts = x->ts,
            .coord = coord_addr(t, x),
            .shard = p->shard,
            .nops = p->nops,
            .flags = p->flags,
        };
        size_t n = tpc_prepare_encode(t, &m, x->ops, p->pos);

        p->sent = 1;
        p->last_ns = now(t);
        if (n == 0)
                return; /* out of memory: the resend timer tries again */
        t->env.send_shard(t->env.ctx, (int)p->shard, BL_TPC_PREPARE, t->buf, n);
        t->st.prepares_sent++;
}

static void send_decide(struct bl_tpc *t, struct tpc_txn *x, struct tpc_part *p)
{
        struct tpc_decide d = {x->id, p->shard, x->commit};
        size_t n = tpc_decide_encode(t, &d);

        p->last_ns = now(t);
        if (n == 0)
                return;
        t->env.send_shard(t->env.ctx, (int)p->shard, BL_TPC_DECIDE, t->buf, n);
        t->st.decides_sent++;
}

static void send_query(struct bl_tpc *t, struct tpc_txn *x)
{
        struct tpc_query q = {x->id, x->parts[0].shard, x->parts[0].shard};
        size_t n = tpc_query_encode(t, &q);

        x->last_ns = now(t);
        if (n == 0)
                return;
        t->env.send_shard(t->env.ctx, (int)q.coord, BL_TPC_QUERY, t->buf, n);
        t->st.queries_sent++;
}

static void send_phase(struct bl_tpc *t, struct tpc_txn *x)
{
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].phase == x->phase)
                        send_prepare(t, x, &x->parts[i]);
}

/* ---- begin ---- */

/* Group the ops by shard in order of first appearance; choose the phases. */
static int plan(struct bl_tpc *t, struct tpc_txn *x)
{
        int *idx = bl_malloc((size_t)t->cfg.nshards * sizeof(*idx));
        uint32_t *shard_of = bl_malloc(x->nops * sizeof(*shard_of));
        uint32_t *fill = NULL;
        int writes = 0;

        if (idx == NULL || shard_of == NULL)
                goto out_nomem;
        for (int s = 0; s < t->cfg.nshards; s++)
                idx[s] = -1;
        x->parts = bl_calloc(x->nops, sizeof(*x->parts)); /* at most one per op */
        x->pos = bl_malloc(x->nops * sizeof(*x->pos));
        if (x->parts == NULL || x->pos == NULL)
                goto out_nomem;
        for (uint32_t i = 0; i < x->nops; i++) {
                int s = bl_shard_of(x->ops[i].key, t->cfg.nshards);
                struct tpc_part *p;

                if (idx[s] < 0) {
                        idx[s] = (int)x->nparts++;
                        x->parts[idx[s]].shard = (uint32_t)s;
                }
                p = &x->parts[idx[s]];
                shard_of[i] = (uint32_t)idx[s];
                p->nops++;
                if (x->ops[i].kind == BL_TXS_READ)
                        p->reads = 1;
                else
                        p->writes = 1;
        }
        fill = bl_calloc(x->nparts, sizeof(*fill));
        x->wshards = bl_malloc(x->nparts * sizeof(*x->wshards));
        if (fill == NULL || x->wshards == NULL)
                goto out_nomem;
        for (uint32_t i = 0, off = 0; i < x->nparts; i++) {
                x->parts[i].pos = &x->pos[off];
                off += x->parts[i].nops;
                writes |= x->parts[i].writes;
                if (x->parts[i].writes)
                        x->wshards[x->nwshards++] = x->parts[i].shard;
        }
        for (uint32_t i = 0; i < x->nops; i++) {
                struct tpc_part *p = &x->parts[shard_of[i]];

                p->pos[fill[shard_of[i]]++] = i;
        }
        /* Read-only optimisation (twopc.h): a sole read-only participant
         * releases at once; with writers, read-only shards come last with
         * the flag (never the first shard in replicated mode: it holds the
         * decision); a transaction that only reads keeps every lock until
         * DECIDE. */
        x->nphases = 1;
        if (x->nparts == 1) {
                x->parts[0].flags = writes ? 0 : BL_TXS_RELEASE_READS;
        } else if (writes) {
                /* One flagged shard at most, the last read-only one, once
                 * every other participant holds its locks. */
                for (uint32_t i = x->nparts; i-- > 0;) {
                        struct tpc_part *p = &x->parts[i];

                        if (p->writes || (t->cfg.replicated && i == 0))
                                continue;
                        p->phase = 1;
                        p->flags = BL_TXS_RELEASE_READS;
                        x->nphases = 2;
                        break;
                }
        }
        bl_free(idx);
        bl_free(shard_of);
        bl_free(fill);
        return 0;

out_nomem:
        bl_free(idx);
        bl_free(shard_of);
        bl_free(fill);
        return BL_ENOMEM;
}

static void fill_result(const struct tpc_txn *x, struct bl_tpc_result *r)
{
        memset(r, 0, sizeof(*r));
        r->id = x->id;
        r->cookie = x->cookie;
        r->outcome = x->commit ? BL_TPC_COMMITTED : BL_TPC_ABORTED;
        r->reason = x->commit ? BL_TPC_A_NONE : x->reason;
        r->nops = x->nops;
        r->reads = x->commit && x->reads_ok ? x->reads : NULL;
        r->nshards = x->commit ? x->nwshards : 0;
        r->shards = x->commit ? x->wshards : NULL;
}

/* A resend of a transaction already reported (its client lost the report). */
static void report_again(struct bl_tpc *t, const struct tpc_txn *x)
{
        struct bl_tpc_result r;

        fill_result(x, &r);
        t->env.done(t->env.ctx, &r);
}

/* 2pc/none: a resend of a commit logged and finished here. */
static void report_logged(struct bl_tpc *t, const struct bl_tpc_txn *in)
{
        uint32_t *shards = bl_malloc(in->nops * sizeof(*shards));
        struct bl_tpc_result r = {
            .id = in->id,
            .cookie = in->cookie,
            .outcome = BL_TPC_COMMITTED,
            .reason = BL_TPC_A_NONE,
            .nops = in->nops,
            .shards = shards,
        };

        for (uint32_t i = 0; shards != NULL && i < in->nops; i++) {
                uint32_t s = (uint32_t)bl_shard_of(in->ops[i].key, t->cfg.nshards), j;

                if (in->ops[i].kind == BL_TXS_READ)
                        continue;
                for (j = 0; j < r.nshards && shards[j] != s; j++)
                        ;
                if (j == r.nshards)
                        shards[r.nshards++] = s;
        }
        t->env.done(t->env.ctx, &r);
        bl_free(shards);
}

int bl_tpc_begin(struct bl_tpc *t, const struct bl_tpc_txn *in)
{
        struct tpc_txn *x;
        int first;

        if (in == NULL || in->nops == 0 || in->nops > BL_TXS_MAX_OPS || in->ops == NULL)
                return BL_EINVAL;
        for (uint32_t i = 0; i < in->nops; i++)
                if (in->ops[i].kind >= BL_TXS_OP__COUNT)
                        return BL_EINVAL;
        if ((x = get_txn(t, in->id)) != NULL) {
                if (x->replayed) { /* a commit logged before a crash */
                        report_logged(t, in);
                        return 0;
                }
                if (!x->reported)
                        return BL_EEXIST;
                x->cookie = in->cookie;
                report_again(t, x);
                return 0;
        }
        if (!t->cfg.replicated && tpc_map_get(&t->committed, in->id, 0) != NULL) {
                report_logged(t, in);
                return 0;
        }
        first = bl_shard_of(in->ops[0].key, t->cfg.nshards);
        if (t->cfg.replicated && !t->env.is_leader(t->env.ctx, first))
                return BL_ENOTLEADER;

        x = bl_calloc(1, sizeof(*x));
        if (x == NULL)
                return BL_ENOMEM;
        x->id = in->id;
        x->ts = in->ts;
        x->cookie = in->cookie;
        x->nops = in->nops;
        x->ops = bl_malloc(in->nops * sizeof(*x->ops));
        x->reads = bl_calloc(in->nops, sizeof(*x->reads));
        if (x->ops == NULL || x->reads == NULL)
                goto out_nomem;
        memcpy(x->ops, in->ops, in->nops * sizeof(*x->ops));
        if (plan(t, x) != 0 || tpc_map_put(&t->txns, x->id, 0, x) != 0)
                goto out_nomem;
        link_txn(t, x);
        x->state = C_COLLECT;
        x->reads_ok = 1;
        x->begin_ns = now(t);
        t->st.begun++;
        t->st.active++;
        send_phase(t, x);
        return 0;

out_nomem:
        tpc_txn_free(x);
        return BL_ENOMEM;
}

/* ---- decide, report, finish ---- */

static void forget(struct bl_tpc *t, struct tpc_txn *x)
{
        if (x->counted_unacked)
                t->st.unacked--;
        if (!t->cfg.replicated && x->commit && (x->seq != 0 || x->replayed)) {
                /* Every participant applied the commit: recovery need not
                 * resend it (the id stays known for QUERY answers). */
                uint64_t id = x->id;
                uint8_t rec[8];

                tpc_map_put(&t->committed, id, 0, TPC_MARK);
                for (int i = 0; i < 8; i++)
                        rec[i] = (uint8_t)(id >> (8 * i));
                t->env.persist(t->env.ctx, BL_TPC_REC_END, rec, sizeof(rec));
        }
        tpc_map_del(&t->txns, x->id, 0);
        unlink_txn(t, x);
        tpc_txn_free(x);
}

/* Which parts get the DECIDE of x->commit. */
static void mark_decides(struct tpc_txn *x)
{
        for (uint32_t i = 0; i < x->nparts; i++) {
                struct tpc_part *p = &x->parts[i];
                int held = p->vote == BL_TXS_READ_ONLY && !(p->flags & BL_TXS_RELEASE_READS);

                if (x->commit)
                        p->decide = p->vote == BL_TXS_YES || held;
                else /* not voted: waiting, prepared unseen, or the PREPARE lost */
                        p->decide =
                            p->sent && (p->vote == BL_TXS_YES || held || p->vote == BL_TXS_PENDING);
        }
}

static void report(struct bl_tpc *t, struct tpc_txn *x)
{
        struct bl_tpc_result r;

        if (x->reported || x->replayed)
                return;
        x->reported = 1;
        t->st.active--;
        if (x->commit)
                t->st.committed++;
        else
                t->st.aborted[x->reason]++;
        fill_result(x, &r);
        t->env.done(t->env.ctx, &r);
}

/* The decision is effective: report it, then DECIDE to whoever needs it. */
static void finish(struct bl_tpc *t, struct tpc_txn *x)
{
        int left = 0;

        x->state = C_FINISH;
        x->tag = 0;
        mark_decides(x);
        /* Replicated: the first shard's DECIDE is the logged decision itself. */
        if (t->cfg.replicated && tpc_decided(t, x->parts[0].shard, x->id) == x->commit)
                x->parts[0].acked = 1;
        for (uint32_t i = 0; i < x->nparts; i++)
                left += x->parts[i].decide && !x->parts[i].acked;
        if (left > 0) {
                x->counted_unacked = 1;
                t->st.unacked++;
        }
        report(t, x);
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].decide && !x->parts[i].acked)
                        send_decide(t, x, &x->parts[i]);
        if (left == 0)
                forget(t, x);
}

/* The effective decision differs from the one taken: adopt it. */
static void adopt(struct tpc_txn *x, int commit)
{
        if (x->commit == commit)
                return;
        x->commit = (uint8_t)commit;
        if (!commit)
                x->reason = BL_TPC_A_FAILURE;
        else
                x->reads_ok = 0; /* not our commit: the reads are not ours to give */
}

static void propose_decision(struct bl_tpc *t, struct tpc_txn *x)
{
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_DECIDE, .txn = x->id, .commit = x->commit};
        uint32_t first = x->parts[0].shard;
        struct tpc_prop *p;
        uint8_t cmd[16];
        size_t n = bl_txs_cmd_encode(&c, cmd, sizeof(cmd));
        int rc;

        x->state = C_LOGGING;
        x->last_ns = now(t);
        p = bl_calloc(1, sizeof(*p));
        if (p == NULL || n == 0)
                goto out_retry;
        p->tag = ++t->next_tag;
        p->txn = x->id;
        p->shard = first;
        p->kind = P_COORD;
        if (tpc_map_put(&t->props, p->tag, 0, p) != 0)
                goto out_retry;
        rc = t->env.propose(t->env.ctx, (int)first, cmd, n, p->tag);
        if (rc == 0) {
                x->tag = p->tag;
                return;
        }
        tpc_map_del(&t->props, p->tag, 0);
        tpc_prop_free(p);
        if (rc == BL_ENOTLEADER || rc == BL_ENOTFOUND) {
                /* Someone else leads the first shard now: ask it. */
                x->state = C_ASKING;
                if (t->env.event != NULL)
                        t->env.event(t->env.ctx, BL_EV_TXN_ASK, (int64_t)x->id, first);
                send_query(t, x);
        }
        return; /* busy: the tick proposes again */

out_retry:
        tpc_prop_free(p);
}

static void decide(struct bl_tpc *t, struct tpc_txn *x, int commit, int reason)
{
        int yes = 0;

        x->commit = (uint8_t)commit;
        x->reason = (uint8_t)(commit ? BL_TPC_A_NONE : reason);
        for (uint32_t i = 0; i < x->nparts; i++)
                yes |= x->parts[i].vote == BL_TXS_YES;
        if (t->cfg.replicated) {
                /* A first shard that voted NO holds the abort already; a
                 * sole read-only participant released its locks as it voted.
                 * A read-only commit on several shards is logged too: a new
                 * leader answering a QUERY may have aborted the first shard,
                 * releasing its read locks before the others took theirs, and
                 * the reads would not be one snapshot. */
                if ((commit && !yes && x->nparts == 1) ||
                    (!commit && x->parts[0].vote == BL_TXS_NO)) {
                        finish(t, x);
                        return;
                }
                propose_decision(t, x);
                return;
        }
        if (commit && yes) {
                uint32_t shards[x->nparts ? x->nparts : 1], n = 0;
                size_t len;

                mark_decides(x);
                for (uint32_t i = 0; i < x->nparts; i++)
                        if (x->parts[i].decide)
                                shards[n++] = x->parts[i].shard;
                x->state = C_LOGGING;
                len = tpc_rec_encode(t, x->id, 1, shards, n);
                x->seq = len > 0 ? t->env.persist(t->env.ctx, BL_TPC_REC_DECISION, t->buf, len) : 0;
                /* seq 0: the storage failed and the runtime failed the run */
                return;
        }
        finish(t, x); /* presumed abort: nothing logged */
}

static int abort_reason(int vote_reason)
{
        switch (vote_reason) {
        case BL_TXS_R_LOCK:
                return BL_TPC_A_LOCK;
        case BL_TXS_R_CONSTRAINT:
                return BL_TPC_A_VOTE;
        default: /* decided abort before it prepared: resolved or presumed */
                return BL_TPC_A_FAILURE;
        }
}

/* After a vote: decide, or prepare the next phase. */
static void evaluate(struct bl_tpc *t, struct tpc_txn *x)
{
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].vote == BL_TXS_NO) {
                        decide(t, x, 0, abort_reason(x->parts[i].reason));
                        return;
                }
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].phase == x->phase && x->parts[i].vote == BL_TXS_PENDING)
                        return;
        if (x->phase + 1 < x->nphases) {
                x->phase++;
                send_phase(t, x);
                return;
        }
        if (!x->reads_ok) { /* a vote came without its reads: restart */
                decide(t, x, 0, BL_TPC_A_FAILURE);
                return;
        }
        decide(t, x, 1, BL_TPC_A_NONE);
}

static void take_reads(struct tpc_txn *x, struct tpc_part *p, const struct tpc_vote *v)
{
        if (v->nreads == 0) {
                if (p->reads)
                        x->reads_ok = 0;
                return;
        }
        for (uint32_t i = 0; i < p->nops; i++) {
                struct bl_tpc_read *dst = &x->reads[p->pos[i]];
                const struct bl_tpc_read *src = &v->reads[i];

                if (x->ops[p->pos[i]].kind != BL_TXS_READ)
                        continue;
                dst->value = src->value;
                dst->list_len = 0;
                if (src->list_len == 0)
                        continue;
                dst->list = bl_malloc(src->list_len * sizeof(uint64_t));
                if (dst->list == NULL) {
                        x->reads_ok = 0;
                        continue;
                }
                memcpy((void *)dst->list, src->list, src->list_len * sizeof(uint64_t));
                dst->list_len = src->list_len;
        }
}

int tpc_coord_vote(struct bl_tpc *t, int src, const struct tpc_vote *v)
{
        struct tpc_txn *x = get_txn(t, v->txn);
        struct tpc_part *p;

        if (x == NULL || x->state != C_COLLECT || (p = part_of(x, v->shard)) == NULL)
                return 0; /* late or duplicate: the decision is out already */
        if (v->nreads != 0 && v->nreads != p->nops)
                return BL_EPROTO;
        if (!p->sent || p->vote != BL_TXS_PENDING)
                return 0;
        p->vote = v->vote;
        p->reason = v->reason;
        if (v->vote != BL_TXS_NO)
                take_reads(x, p, v);
        evaluate(t, x);
        return 0;
}

void tpc_coord_ack(struct bl_tpc *t, const struct tpc_decide *d)
{
        struct tpc_txn *x = get_txn(t, d->txn);
        struct tpc_part *p;

        if (x == NULL || x->state != C_FINISH || (p = part_of(x, d->shard)) == NULL)
                return;
        /* A contradicting ACK is not an acknowledgement, except from a
         * participant that released its reads at once: it has nothing to
         * undo, and answers either decision. */
        if (!p->decide || p->acked ||
            (d->commit != x->commit && !(p->flags & BL_TXS_RELEASE_READS)))
                return;
        p->acked = 1;
        for (uint32_t i = 0; i < x->nparts; i++)
                if (x->parts[i].decide && !x->parts[i].acked)
                        return;
        forget(t, x);
}

void tpc_coord_answer(struct bl_tpc *t, const struct tpc_decide *d)
{
        struct tpc_txn *x = get_txn(t, d->txn);

        if (!t->cfg.replicated || x == NULL || x->state != C_ASKING ||
            d->shard != x->parts[0].shard)
                return;
        adopt(x, d->commit);
        finish(t, x);
}

void tpc_coord_query(struct bl_tpc *t, int src, const struct tpc_query *q)
{
        struct tpc_txn *x = get_txn(t, q->txn);

        if (q->coord != (uint32_t)t->cfg.rank)
                return; /* not ours: misrouted */
        if (x != NULL) {
                if (x->state == C_FINISH)
                        tpc_send_answer(t, src, q->txn, q->shard, x->commit);
                return; /* still deciding: it will DECIDE */
        }
        /* A logged commit, else presumed abort. */
        tpc_send_answer(t, src, q->txn, q->shard, tpc_map_get(&t->committed, q->txn, 0) != NULL);
}

void tpc_coord_applied(struct bl_tpc *t, uint64_t txn, uint64_t tag)
{
        struct tpc_txn *x = get_txn(t, txn);
        int d;

        if (x == NULL || x->tag != tag)
                return;
        x->tag = 0;
        d = tpc_decided(t, x->parts[0].shard, txn);
        if (d < 0) { /* not applied after all (out of memory there): again */
                x->state = C_LOGGING;
                x->last_ns = now(t);
                return;
        }
        adopt(x, d);
        finish(t, x);
}

void tpc_coord_dropped(struct bl_tpc *t, uint64_t txn, uint64_t tag)
{
        struct tpc_txn *x = get_txn(t, txn);

        if (x == NULL || x->tag != tag)
                return;
        x->tag = 0;
        x->state = C_ASKING;
        if (t->env.event != NULL)
                t->env.event(t->env.ctx, BL_EV_TXN_ASK, (int64_t)x->id, x->parts[0].shard);
        send_query(t, x);
}

void tpc_coord_durable(struct bl_tpc *t)
{
        struct tpc_txn *x, *next;

        for (x = t->head; x != NULL; x = next) {
                next = x->next;
                if (x->state == C_LOGGING && x->seq != 0 && x->seq <= t->durable)
                        finish(t, x);
        }
}

void tpc_coord_tick(struct bl_tpc *t)
{
        uint64_t ts = now(t), retry = t->cfg.retry_ns;
        struct tpc_txn *x, *next;

        for (x = t->head; x != NULL; x = next) {
                next = x->next;
                switch (x->state) {
                case C_COLLECT:
                        if (ts - x->begin_ns >= t->cfg.timeout_ns) {
                                decide(t, x, 0, BL_TPC_A_TIMEOUT);
                                break;
                        }
                        for (uint32_t i = 0; i < x->nparts; i++) {
                                struct tpc_part *p = &x->parts[i];

                                if (p->phase == x->phase && p->vote == BL_TXS_PENDING &&
                                    ts - p->last_ns >= retry)
                                        send_prepare(t, x, p);
                        }
                        break;
                case C_LOGGING:
                        if (t->cfg.replicated && x->tag == 0 && ts - x->last_ns >= retry)
                                propose_decision(t, x);
                        break;
                case C_ASKING:
                        if (ts - x->last_ns < retry)
                                break;
                        if (t->env.is_leader(t->env.ctx, (int)x->parts[0].shard))
                                propose_decision(t, x); /* leading again: log it ourselves */
                        else
                                send_query(t, x);
                        break;
                case C_FINISH:
                        for (uint32_t i = 0; i < x->nparts; i++) {
                                struct tpc_part *p = &x->parts[i];

                                if (p->decide && !p->acked && ts - p->last_ns >= retry)
                                        send_decide(t, x, p);
                        }
                        break;
                }
        }
}

/* ---- 2pc/none recovery ---- */

int tpc_coord_replayed(struct bl_tpc *t, uint64_t txn, const uint32_t *shards, uint32_t n)
{
        struct tpc_txn *x;

        if (tpc_map_put(&t->committed, txn, 0, TPC_MARK) != 0)
                return BL_ENOMEM;
        if (get_txn(t, txn) != NULL || n == 0)
                return 0;
        x = bl_calloc(1, sizeof(*x));
        if (x == NULL)
                return BL_ENOMEM;
        x->id = txn;
        x->parts = bl_calloc(n, sizeof(*x->parts));
        if (x->parts == NULL || tpc_map_put(&t->txns, txn, 0, x) != 0) {
                tpc_txn_free(x);
                return BL_ENOMEM;
        }
        x->nparts = n;
        for (uint32_t i = 0; i < n; i++) {
                x->parts[i].shard = shards[i];
                x->parts[i].decide = 1;
                x->parts[i].vote = BL_TXS_YES;
        }
        x->state = C_FINISH;
        x->commit = 1;
        x->replayed = 1;
        link_txn(t, x);
        return 0;
}

void tpc_coord_ended(struct bl_tpc *t, uint64_t txn)
{
        struct tpc_txn *x = get_txn(t, txn);

        if (x == NULL || !x->replayed)
                return;
        tpc_map_del(&t->txns, txn, 0);
        unlink_txn(t, x);
        tpc_txn_free(x);
}

void tpc_coord_start(struct bl_tpc *t)
{
        uint64_t resend = 0, decisions = t->committed.n;
        struct tpc_txn *x;

        for (x = t->head; x != NULL; x = x->next) {
                if (!x->replayed)
                        continue;
                resend++;
                x->counted_unacked = 1;
                t->st.unacked++;
                for (uint32_t i = 0; i < x->nparts; i++)
                        send_decide(t, x, &x->parts[i]);
        }
        if (t->env.event != NULL && decisions > 0)
                t->env.event(t->env.ctx, BL_EV_TPC_RECOVER, (int64_t)decisions, (int64_t)resend);
}
