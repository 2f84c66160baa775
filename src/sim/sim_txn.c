/*
 * The simulator's transaction mode (sim.h, Transactions): one commit layer
 * (struct bl_tpc) per node with its environment and routing, the replicas'
 * transaction stores, node crashes and recoveries. The clients are in
 * sim_txn_client.c, settling and the verdicts in sim_txn_check.c.
 *
 * Re-entrancy. The commit layer is called by the simulator (begin, recv,
 * tick, durable, start) and calls back (propose, send, persist, done). A
 * kernel may complete a proposal inside submit (the none kernel applies at
 * once); its completion then reaches the commit layer in an event at the
 * same instant (SIM_EV_TDEFER), never inside the commit layer's own call.
 * The store is updated at once either way: the log order is the kernel's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "sim/sim_txn_int.h"

int sim_txn_grow(void **p, size_t *cap, size_t need, size_t size)
{
        size_t c = *cap ? *cap : 16;
        void *np;

        if (need <= *cap)
                return 0;
        while (c < need)
                c *= 2;
        np = bl_realloc(*p, c * size);
        if (np == NULL)
                return BL_ENOMEM;
        *p = np;
        *cap = c;
        return 0;
}

/* ---- calls into the commit layer ---- */

/* The votes that became ready on in's store go to its node's commit layer. */
static void drain_votes(struct sim_tnode *tn, struct sim_inst *in)
{
        struct bl_txs_vote_msg v;

        while (in->txs != NULL && bl_txs_next_vote(in->txs, &v))
                TPC_CALL(tn, bl_tpc_vote_ready(tn->tpc, in->shard, &v));
}

/* ---- routing ---- */

/* The node `node` believes leads `shard`: its own replica's view when it
 * holds one that knows, else its guess. */
static int believed(const struct bl_sim *s, int node, int shard)
{
        const struct sim_inst *in = sim_inst(s, node, shard);

        if (in != NULL && in->k != NULL) {
                int l = s->o.kernel->leader(in->k);

                if (l >= 0 && l < s->o.replicas)
                        return bl_sim_node_of(s, shard, l);
        }
        return bl_sim_node_of(s, shard, tnode(s, node)->guess[shard]);
}

static int leads(const struct bl_sim *s, int node, int shard)
{
        const struct sim_inst *in = sim_inst(s, node, shard);

        return in != NULL && in->k != NULL && !s->crashed[node] &&
               s->o.kernel->leader(in->k) == in->member;
}

static void tpc_send(struct bl_sim *s, int from, int via, int to, int type, int shard,
                     uint64_t hops, const void *buf, size_t len)
{
        struct sim_ev ev = {
            .kind = SIM_EV_TPC, .a = from, .b = to, .c = type, .d = shard + 1, .x = hops};

        sim_node_send(s, via, to, &ev, buf, len);
}

/* ---- the commit layer's environment ---- */

static uint64_t tenv_now(void *ctx)
{
        return ((struct sim_tnode *)ctx)->s->now;
}

static int bad_type(struct sim_tnode *tn, int type, const char *what)
{
        if (type >= 0 && type < BL_TPC_MSG__COUNT)
                return 0;
        sim_violate(tn->s, "commit layer of node %d: %s of message type %d", tn->node, what, type);
        return 1;
}

static void tenv_send_shard(void *ctx, int shard, int type, const void *buf, size_t len)
{
        struct sim_tnode *tn = ctx;
        struct bl_sim *s = tn->s;

        if (bad_type(tn, type, "send_shard"))
                return;
        if (shard < 0 || shard >= s->o.shards) {
                sim_violate(s, "commit layer of node %d: send_shard to shard %d (of %d)", tn->node,
                            shard, s->o.shards);
                return;
        }
        tpc_send(s, tn->node, tn->node, believed(s, tn->node, shard), type, shard, 0, buf, len);
}

static void tenv_send_rank(void *ctx, int rank, int type, const void *buf, size_t len)
{
        struct sim_tnode *tn = ctx;
        struct bl_sim *s = tn->s;

        if (bad_type(tn, type, "send_rank"))
                return;
        if (rank < 0 || rank >= s->o.nodes) {
                sim_violate(s, "commit layer of node %d: send_rank to rank %d (of %d)", tn->node,
                            rank, s->o.nodes);
                return;
        }
        tpc_send(s, tn->node, tn->node, rank, type, -1, 0, buf, len);
}

static int tenv_propose(void *ctx, int shard, const void *cmd, size_t len, uint64_t tag)
{
        struct sim_tnode *tn = ctx;
        struct bl_sim *s = tn->s;
        struct sim_inst *in = sim_inst(s, tn->node, shard);

        if (in == NULL)
                return BL_ENOTFOUND;
        if (in->k == NULL)
                return BL_ENOTLEADER;
        if (tag == 0) {
                sim_violate(s, "commit layer of node %d: proposal with tag 0", tn->node);
                return BL_EINVAL;
        }
        return s->o.kernel->submit(in->k, cmd, len, 0, tag);
}

static int tenv_is_leader(void *ctx, int shard)
{
        struct sim_tnode *tn = ctx;

        return leads(tn->s, tn->node, shard);
}

static struct bl_txs *tenv_store(void *ctx, int shard)
{
        struct sim_tnode *tn = ctx;
        struct sim_inst *in = sim_inst(tn->s, tn->node, shard);

        return in != NULL && in->k != NULL ? in->txs : NULL;
}

static uint64_t tenv_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct sim_tnode *tn = ctx;

        return sim_disk_append(tn->s, tn->node, &tn->log, &tn->persisted, type, buf, len);
}

static void tenv_event(void *ctx, int type, int64_t a, int64_t b)
{
        struct sim_tnode *tn = ctx;

        (void)a;
        (void)b;
        if (type >= 0 && type < BL_EV__COUNT)
                tn->s->ev_counts[type]++;
}

static int tpc_create(struct bl_sim *s, int node)
{
        struct sim_tnode *tn = tnode(s, node);
        struct bl_tpc_env env = {
            .ctx = tn,
            .now = tenv_now,
            .send_shard = tenv_send_shard,
            .send_rank = tenv_send_rank,
            .propose = tenv_propose,
            .is_leader = tenv_is_leader,
            .store = tenv_store,
            .persist = tenv_persist,
            .done = sim_txn_done,
            .event = tenv_event,
        };
        struct bl_tpc_cfg cfg = {
            .rank = node,
            .nshards = s->o.shards,
            .replicated = s->txn->replicated,
            .retry_ns = s->o.tpc_retry_ns ? s->o.tpc_retry_ns : 10000000ULL,
            .timeout_ns = s->o.tpc_timeout_ns ? s->o.tpc_timeout_ns : 100000000ULL,
            .query_ns = s->o.tpc_query_ns ? s->o.tpc_query_ns : 50000000ULL,
        };

        tn->tpc = bl_tpc_create(&env, &cfg);
        if (tn->tpc == NULL)
                return sim_violate(s, "sim: bl_tpc_create failed for node %d", node);
        for (size_t i = 0; i < tn->log.n; i++) {
                const struct bl_memrec *rec = bl_memlog_at(&tn->log, i);
                int rc;

                TPC_CALL(tn, rc = bl_tpc_replay(tn->tpc, rec->seq, rec->type, rec->buf, rec->len));
                if (rc != 0)
                        return sim_violate(s,
                                           "sim: the commit layer of node %d refused its own "
                                           "record %" PRIu64 " (type %d) on recovery",
                                           node, rec->seq, rec->type);
        }
        return 0;
}

/* ---- setup ---- */

static int kernel_is_none(const struct bl_sim *s)
{
        return strcmp(s->o.kernel->name, "none") == 0;
}

int sim_txn_init(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct sim_txn *t;

        if (s->o.commit != BL_SIM_COMMIT_2PC)
                return bl_errf(eb, BL_EINVAL, "sim: commit = %d, want %d (off) or %d (2pc)",
                               s->o.commit, BL_SIM_COMMIT_OFF, BL_SIM_COMMIT_2PC);
        if (s->o.kernel->replay == NULL)
                return bl_errf(eb, BL_EINVAL,
                               "sim: kernel %s is not on the persistence seam; transactions "
                               "need replay()",
                               s->o.kernel->name);
        if (s->o.txn_cc != BL_TXS_NO_WAIT && s->o.txn_cc != BL_TXS_WAIT_DIE)
                return bl_errf(eb, BL_EINVAL,
                               "sim: txn_cc = %d, want %d (no-wait) or %d (wait-die)", s->o.txn_cc,
                               BL_TXS_NO_WAIT, BL_TXS_WAIT_DIE);
        if (s->o.clients > 0xffffff)
                return bl_errf(eb, BL_EINVAL, "sim: %d transaction clients, want <= %d",
                               s->o.clients, 0xffffff);
        t = bl_calloc(1, sizeof(*t));
        if (t == NULL)
                return bl_errf(eb, BL_ENOMEM, "sim: out of memory");
        s->txn = t;
        t->replicated = !kernel_is_none(s);
        if (!t->replicated && s->o.replicas != 1)
                return bl_errf(eb, BL_EINVAL, "sim: 2pc/none needs replicas = 1, not %d",
                               s->o.replicas);
        if (s->o.txn != NULL) {
                t->params = *s->o.txn;
        } else {
                if (s->o.txn_workload < BL_TXW_BANK || s->o.txn_workload > BL_TXW_LIST_APPEND)
                        return bl_errf(eb, BL_EINVAL, "sim: txn_workload = %d, want %d..%d",
                                       s->o.txn_workload, BL_TXW_BANK, BL_TXW_LIST_APPEND);
                bl_txn_params_default(&t->params, (enum bl_txn_workload)s->o.txn_workload);
                t->params.keys = s->o.keys;
        }
        t->params.seed = s->o.seed;
        t->params.shards = s->o.shards;
        t->params.nsessions = s->o.clients > 0 ? (uint32_t)s->o.clients : 1;
        if (bl_txn_params_check(&t->params, eb) != 0)
                return BL_EINVAL;
        t->initial = t->params.type == BL_TXW_BANK ? (uint64_t)t->params.initial_balance : 0;
        bl_txn_history_init(&t->hist);
        t->nodes = bl_calloc((size_t)s->o.nodes, sizeof(*t->nodes));
        if (t->nodes == NULL)
                return bl_errf(eb, BL_ENOMEM, "sim: out of memory");
        for (int i = 0; i < s->o.nodes; i++) {
                struct sim_tnode *tn = &t->nodes[i];

                tn->s = s;
                tn->node = i;
                tn->guess = bl_calloc((size_t)s->o.shards, sizeof(int));
                if (tn->guess == NULL)
                        return bl_errf(eb, BL_ENOMEM, "sim: out of memory");
                if (tpc_create(s, i) != 0)
                        return bl_errf(eb, BL_ENOMEM, "%s", s->violation.msg);
        }
        return 0;
}

int sim_txn_store_create(struct bl_sim *s, struct sim_inst *in)
{
        in->applied = 0;
        in->barrier = 0;
        in->txs = bl_txs_create(in->shard, s->o.shards, s->o.txn_cc, s->txn->initial);
        return in->txs == NULL ? BL_ENOMEM : 0;
}

int sim_txn_start(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct sim_txn *t = s->txn;

        for (int i = 0; i < s->o.nodes; i++)
                TPC_CALL(&t->nodes[i], bl_tpc_start(t->nodes[i].tpc));
        if (s->violated)
                return bl_errf(eb, BL_ENOMEM, "%s", s->violation.msg);
        return sim_txn_clients_init(s, eb);
}

void sim_txn_free(struct bl_sim *s)
{
        struct sim_txn *t = s->txn;

        if (t == NULL)
                return;
        if (t->nodes != NULL) {
                for (int i = 0; i < s->o.nodes; i++) {
                        if (t->nodes[i].tpc != NULL)
                                bl_tpc_destroy(t->nodes[i].tpc);
                        bl_memlog_free(&t->nodes[i].log);
                        bl_free(t->nodes[i].guess);
                }
                bl_free(t->nodes);
        }
        sim_txn_clients_free(s);
        bl_free(t->recs);
        bl_free(t->shards);
        bl_txn_history_free(&t->hist);
        bl_free(t->audits);
        bl_free(t->acct);
        bl_free(t->bal);
        bl_free(t);
        s->txn = NULL;
}

/* ---- the replicas' state machines ---- */

/* Hand a completion to the commit layer now, or in an event at the same
 * instant when the commit layer is inside a call (see the top). */
static void complete(struct bl_sim *s, struct sim_inst *in, int dropped, const struct bl_txs_cmd *c,
                     const struct bl_txs_vote_msg *v, uint64_t tag)
{
        struct sim_tnode *tn = tnode(s, in->node);
        struct sim_ev ev = {.kind = SIM_EV_TDEFER,
                            .a = in->node,
                            .b = in->shard,
                            .c = dropped,
                            .x = tag,
                            .y = s->disk[in->node].incarnation,
                            .t = s->now};
        struct sim_tdefer *d;
        size_t nreads, nops, len;

        if (tn->tpc == NULL)
                return;
        if (!tn->busy) {
                if (dropped) {
                        TPC_CALL(tn, bl_tpc_dropped(tn->tpc, in->shard, tag));
                } else {
                        TPC_CALL(tn, bl_tpc_applied(tn->tpc, in->shard, c, v, tag));
                        drain_votes(tn, in);
                }
                return;
        }
        nreads = !dropped && v->reads != NULL ? v->nreads : 0;
        nops = !dropped && c->ops != NULL ? c->nops : 0;
        len = sizeof(*d) + nreads * sizeof(struct bl_txs_read) + nops * sizeof(struct bl_txs_op);
        d = bl_calloc(1, len);
        if (d == NULL) {
                sim_violate(s, "sim: out of memory deferring a completion");
                return;
        }
        if (!dropped) {
                struct bl_txs_read *r = (struct bl_txs_read *)(d + 1);
                struct bl_txs_op *o = (struct bl_txs_op *)(r + nreads);

                d->c = *c;
                d->v = *v;
                if (nreads > 0)
                        memcpy(r, v->reads, nreads * sizeof(*r));
                if (nops > 0)
                        memcpy(o, c->ops, nops * sizeof(*o));
                d->v.reads = nreads > 0 ? r : NULL;
                d->c.ops = nops > 0 ? o : NULL;
        }
        ev.buf = d;
        ev.len = len;
        sim_push(s, &ev);
}

static void on_deferred(struct bl_sim *s, const struct sim_ev *ev)
{
        struct sim_tnode *tn = tnode(s, ev->a);
        struct sim_inst *in = sim_inst(s, ev->a, ev->b);
        const struct sim_tdefer *d = ev->buf;

        if (s->crashed[ev->a] || ev->y != s->disk[ev->a].incarnation || tn->tpc == NULL ||
            in == NULL)
                return; /* the node crashed meanwhile: the commit layer is gone */
        if (ev->c) {
                TPC_CALL(tn, bl_tpc_dropped(tn->tpc, ev->b, ev->x));
                return;
        }
        TPC_CALL(tn, bl_tpc_applied(tn->tpc, ev->b, &d->c, &d->v, ev->x));
        drain_votes(tn, in);
}

void sim_txn_apply(struct bl_sim *s, struct sim_inst *in, const void *cmd, size_t len,
                   uint64_t index, uint64_t tag)
{
        struct bl_txs_cmd c;
        struct bl_txs_vote_msg v;
        int rc;

        memset(&v, 0, sizeof(v));
        rc = bl_txs_cmd_decode(&c, cmd, len);
        if (rc != 0) {
                sim_violate(s,
                            "shard %d node %d: apply of a malformed transaction command "
                            "(%zu bytes): %s",
                            in->shard, in->node, len, bl_strerror(rc));
                return;
        }
        rc = bl_txs_apply(in->txs, cmd, len, index, s->now, &v);
        if (rc == BL_EINVAL && c.type == BL_TXS_CMD_DECIDE) {
                /* First DECIDE wins: deterministic on every replica. */
                s->st.txn_refused_decides++;
                v.txn = c.txn;
                v.vote = BL_TXS_PENDING;
        } else if (rc != 0) {
                sim_violate(
                    s, "shard %d node %d: apply of %s for txn %" PRIx64 " at index %" PRIu64 ": %s",
                    in->shard, in->node, c.type == BL_TXS_CMD_PREPARE ? "PREPARE" : "DECIDE", c.txn,
                    index, bl_strerror(rc));
                bl_txs_cmd_free(&c);
                return;
        }
        in->applied++;
        sim_record_digest(s, in);
        if (c.type == BL_TXS_CMD_DECIDE && c.txn < BARRIER_TXN_END) {
                /* The simulator's own settle barrier: not the commit layer's. */
                if (c.txn > in->barrier)
                        in->barrier = c.txn;
        } else {
                complete(s, in, 0, &c, &v, tag);
        }
        bl_txs_cmd_free(&c);
}

void sim_txn_dropped(struct bl_sim *s, struct sim_inst *in, uint64_t tag)
{
        if (tag & BARRIER_TAG)
                return; /* a settle barrier: sim_txn_settle proposes it again */
        complete(s, in, 1, NULL, NULL, tag);
}

/* Snapshot: the applied count and the last settle barrier (u64, host
 * order: they never leave the process), then the store's canonical
 * snapshot. */
int sim_txn_snapshot(struct sim_inst *in, void **buf, size_t *len)
{
        void *inner = NULL;
        size_t n = 0;
        uint8_t *out;
        int rc = bl_txs_snapshot(in->txs, &inner, &n);

        if (rc != 0)
                return rc;
        out = bl_malloc(n + 16);
        if (out == NULL) {
                bl_free(inner);
                return BL_ENOMEM;
        }
        memcpy(out, &in->applied, 8);
        memcpy(out + 8, &in->barrier, 8);
        memcpy(out + 16, inner, n);
        bl_free(inner);
        *buf = out;
        *len = n + 16;
        return 0;
}

int sim_txn_restore(struct sim_inst *in, const void *buf, size_t len)
{
        uint64_t applied, barrier;
        int rc;

        if (buf == NULL) {
                struct bl_txs *fresh =
                    bl_txs_create(in->shard, in->s->o.shards, in->s->o.txn_cc, in->s->txn->initial);

                if (fresh == NULL)
                        return BL_ENOMEM;
                bl_txs_destroy(in->txs);
                in->txs = fresh;
                in->applied = 0;
                in->barrier = 0;
                return 0;
        }
        if (len < 16)
                return BL_EPROTO;
        memcpy(&applied, buf, 8);
        memcpy(&barrier, (const uint8_t *)buf + 8, 8);
        rc = bl_txs_restore(in->txs, (const uint8_t *)buf + 16, len - 16);
        if (rc == 0) {
                in->applied = applied;
                in->barrier = barrier;
        }
        return rc;
}

/* ---- commit-layer messages ---- */

/* VOTE, ACK and QUERY come from the leader of the shard they name (u64
 * txn, u32 shard first): the receiver learns who leads it. */
static void learn(struct bl_sim *s, int node, int from, int type, const void *buf, size_t len)
{
        const uint8_t *p = buf;
        uint32_t shard;
        int m;

        if ((type != BL_TPC_VOTE && type != BL_TPC_ACK && type != BL_TPC_QUERY) || len < 12)
                return;
        shard =
            (uint32_t)p[8] | (uint32_t)p[9] << 8 | (uint32_t)p[10] << 16 | (uint32_t)p[11] << 24;
        if (shard >= (uint32_t)s->o.shards)
                return;
        m = bl_sim_member_of(s, from, (int)shard);
        if (m >= 0)
                tnode(s, node)->guess[shard] = m;
}

static void on_tpc_msg(struct bl_sim *s, const struct sim_ev *ev)
{
        int to = ev->b, shard = ev->d - 1;
        struct sim_tnode *tn = tnode(s, to);
        int rc;

        if (s->crashed[to] || tn->tpc == NULL) {
                s->st.msgs_dropped++;
                return;
        }
        if (shard >= 0 && ev->x == 0 && !leads(s, to, shard)) {
                /* Not the leader: forward once, to this node's belief. */
                int next = believed(s, to, shard);

                if (next == to) {
                        tn->guess[shard] = (tn->guess[shard] + 1) % s->o.replicas;
                        next = believed(s, to, shard);
                }
                if (next != to) {
                        s->st.txn_forwards++;
                        tpc_send(s, ev->a, to, next, ev->c, shard, 1, ev->buf, ev->len);
                        return;
                }
        }
        s->st.msgs_delivered++;
        learn(s, to, ev->a, ev->c, ev->buf, ev->len);
        TPC_CALL(tn, rc = bl_tpc_recv(tn->tpc, ev->a, ev->c, ev->buf, ev->len));
        if (rc == BL_EPROTO) {
                s->st.msgs_malformed++;
                /* Every sender is a correct commit layer: a refused message
                 * is a bug on one side or the other. */
                sim_violate(s, "commit layer of node %d refused a %s from node %d (%zu bytes)", to,
                            bl_tpc_msg_name(ev->c), ev->a, ev->len);
        }
}

void sim_txn_event(struct bl_sim *s, const struct sim_ev *ev)
{
        switch (ev->kind) {
        case SIM_EV_TPC:
                on_tpc_msg(s, ev);
                break;
        case SIM_EV_TDEFER:
                on_deferred(s, ev);
                break;
        default: /* requests, replies, client timers */
                sim_txn_client_event(s, ev);
                break;
        }
}

/* ---- node life ---- */

void sim_txn_tick(struct bl_sim *s, int node)
{
        struct sim_tnode *tn = tnode(s, node);

        if (tn->tpc != NULL)
                TPC_CALL(tn, bl_tpc_tick(tn->tpc));
}

void sim_txn_durable(struct bl_sim *s, int node, uint64_t synced)
{
        struct sim_tnode *tn = tnode(s, node);

        if (tn->tpc == NULL || tn->persisted <= tn->durable)
                return;
        tn->durable = tn->persisted < synced ? tn->persisted : synced;
        TPC_CALL(tn, bl_tpc_durable(tn->tpc, tn->durable));
}

void sim_txn_crash(struct bl_sim *s, int node)
{
        struct sim_tnode *tn = tnode(s, node);
        uint64_t synced = s->disk[node].synced;

        for (size_t i = tn->log.n; i > 0; i--) {
                if (bl_memlog_at(&tn->log, i - 1)->seq <= synced)
                        break;
                s->st.records_lost++;
        }
        bl_memlog_truncate_after(&tn->log, synced);
        tn->persisted = tn->log.n > 0 ? bl_memlog_at(&tn->log, tn->log.n - 1)->seq : 0;
        if (tn->durable > tn->persisted)
                tn->durable = tn->persisted;
        if (tn->tpc != NULL)
                bl_tpc_destroy(tn->tpc);
        tn->tpc = NULL;
        tn->busy = 0;
        sim_txn_clients_lost(s, node);
}

void sim_txn_recover_begin(struct bl_sim *s, int node)
{
        tpc_create(s, node);
}

void sim_txn_recover_end(struct bl_sim *s, int node)
{
        struct sim_tnode *tn = tnode(s, node);

        if (tn->tpc == NULL)
                return;
        TPC_CALL(tn, bl_tpc_start(tn->tpc));
        sim_txn_clients_back(s, node);
}

/* ---- white-box access ---- */

struct bl_txs *bl_sim_txs(struct bl_sim *s, int node, int shard)
{
        struct sim_inst *in = sim_inst(s, node, shard);

        return in != NULL && in->k != NULL && !s->crashed[node] ? in->txs : NULL;
}

struct bl_tpc *bl_sim_tpc(struct bl_sim *s, int node)
{
        if (s->txn == NULL || node < 0 || node >= s->o.nodes)
                return NULL;
        return s->txn->nodes[node].tpc;
}
