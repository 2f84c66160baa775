/*
 * The simulator's transaction mode (sim.h, Transactions): one commit layer
 * (struct bl_tpc) per node with its environment and routing, the replicas'
 * transaction stores, the transaction clients, and the verdicts (atomicity,
 * bank, serializability) at the end of a run.
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

#include "check/serial.h"
#include "check/txnhist.h"
#include "check/txnverdict.h"
#include "common/alloc.h"
#include "kernels/twopc/twopc.h"
#include "load/txn.h"
#include "sim/sim_int.h"
#include "store/kv.h"
#include "store/txn.h"

#define SER_TIME_LIMIT_S 60.0
/* Settle barriers (sim_txn_settle): DECIDE abort of txn ids below this (no
 * client's: theirs are >= 1 << 32), proposed with tags that have this bit. */
#define BARRIER_TXN_END (1ULL << 32)
#define BARRIER_TAG     (1ULL << 63)
#define OUT_NONE        0xff /* no outcome recorded yet (sim_tclient.outc) */

/* One node's commit layer and what the simulator keeps for it. */
struct sim_tnode {
        struct bl_sim *s;
        int node;
        struct bl_tpc *tpc; /* NULL while crashed */
        struct bl_memlog log;
        uint64_t persisted, durable;
        int busy;   /* inside a call of tpc: completions are deferred */
        int *guess; /* believed leader member per shard (when no local instance knows) */
};

/* One transaction client session. */
struct sim_tclient {
        uint32_t id; /* 1-based */
        int node;    /* 2pc/none: the node that coordinates its transactions */
        struct bl_txngen gen;
        uint64_t n;   /* transactions begun */
        uint64_t cur; /* id of the current (or last) one */
        struct bl_tpc_op *ops;
        uint32_t nops;
        size_t cap;
        uint8_t cls;
        int outstanding;
        int idle;
        uint64_t invoke_ns;
        uint64_t token;
        int *guess;    /* replicated: believed leader member per shard */
        uint8_t *outc; /* outcome per transaction number - 1 (OUT_NONE: none yet) */
        size_t outc_cap;
};

/* A transaction with a recorded outcome; shards written in txn->shards[off ..]. */
struct sim_txrec {
        uint64_t id;
        uint8_t outcome;
        uint32_t nshards;
        size_t off;
};

struct sim_audit {
        uint64_t txn;
        size_t n, off; /* accounts / balances [off .. off + n) */
};

struct sim_txn {
        int replicated;
        struct bl_txn_params params;
        uint64_t initial; /* every register's initial value */
        struct sim_tnode *nodes;
        struct sim_tclient *clients;
        struct sim_txrec *recs;
        size_t nrecs, caprecs;
        uint32_t *shards;
        size_t nshards, capshards;
        uint64_t barrier;           /* last settle barrier proposed */
        uint64_t settled_events;    /* events fired when the last settle succeeded */
        struct bl_txn_history hist; /* list-append */
        struct sim_audit *audits;   /* bank */
        size_t naudits, capaudits;
        uint64_t *acct;
        int64_t *bal;
        size_t nbal, capbal;
};

/* The request a transaction client sends (ops follow). */
struct sim_treq {
        uint64_t id, ts, cookie;
        uint32_t nops;
};

/* A completion deferred to its own event (one block: reads and ops follow). */
struct sim_tdefer {
        struct bl_txs_cmd c;
        struct bl_txs_vote_msg v;
};

static int grow(void **p, size_t *cap, size_t need, size_t size)
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

static struct sim_tnode *tnode(const struct bl_sim *s, int node)
{
        return &s->txn->nodes[node];
}

/* ---- calls into the commit layer (the busy count marks re-entrancy) ---- */

#define TPC_CALL(tn, expr)                                                                         \
        do {                                                                                       \
                (tn)->busy++;                                                                      \
                expr;                                                                              \
                (tn)->busy--;                                                                      \
        } while (0)

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

/* Result encoding (a simulator event, not a wire format): the header, then
 * per op: value, n, n list elements (all u64). */
struct sim_tres {
        uint64_t id;
        uint8_t outcome, reason, has_reads;
        uint32_t nops;
};

static void tenv_done(void *ctx, const struct bl_tpc_result *r)
{
        struct sim_tnode *tn = ctx;
        struct bl_sim *s = tn->s;
        struct sim_ev ev = {.kind = SIM_EV_TREPLY, .b = tn->node, .c = -1, .d = 0, .x = r->id};
        struct sim_tres h = {.id = r->id, .outcome = r->outcome, .reason = r->reason};
        size_t len = sizeof(h);
        uint8_t *buf, *p;
        int copies = 1;

        if (r->cookie >= (uint64_t)s->o.clients || (r->id >> 32) != r->cookie + 1) {
                sim_violate(s,
                            "commit layer of node %d: done for txn %" PRIx64 " with cookie %" PRIu64
                            ", not a transaction of that client",
                            tn->node, r->id, r->cookie);
                return;
        }
        h.has_reads = r->reads != NULL;
        h.nops = r->reads != NULL ? r->nops : 0;
        for (uint32_t i = 0; i < h.nops; i++)
                len += 16 + 8 * (size_t)r->reads[i].list_len;
        buf = bl_malloc(len);
        if (buf == NULL) {
                sim_violate(s, "sim: out of memory for a transaction result");
                return;
        }
        memcpy(buf, &h, sizeof(h));
        p = buf + sizeof(h);
        for (uint32_t i = 0; i < h.nops; i++) {
                uint64_t n = r->reads[i].list_len;

                memcpy(p, &r->reads[i].value, 8);
                memcpy(p + 8, &n, 8);
                if (n > 0)
                        memcpy(p + 16, r->reads[i].list, 8 * n);
                p += 16 + 8 * n;
        }
        ev.a = (int32_t)r->cookie;
        ev.len = len;
        if (s->txn->replicated) {
                /* Through the network to the client, which lives outside. */
                if (sim_lost(s)) {
                        s->st.replies_lost++;
                        copies = 0;
                } else if (sim_duped(s)) {
                        s->st.msgs_duplicated++;
                        copies = 2;
                }
        }
        for (int i = 0; i < copies; i++) {
                struct sim_ev e = ev;

                /* 2pc/none: the client lives on this node, no network, but
                 * never from inside the commit layer's call. */
                e.t = s->now + (s->txn->replicated ? sim_latency(s) : 0);
                if (i + 1 < copies) {
                        e.buf = bl_malloc(len);
                        if (e.buf == NULL)
                                continue;
                        memcpy(e.buf, buf, len);
                } else {
                        e.buf = buf;
                        buf = NULL;
                }
                sim_push(s, &e);
        }
        bl_free(buf);
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
            .done = tenv_done,
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
        if (s->o.clients == 0)
                return s->violated ? bl_errf(eb, BL_ENOMEM, "%s", s->violation.msg) : 0;
        t->clients = bl_calloc((size_t)s->o.clients, sizeof(*t->clients));
        if (t->clients == NULL)
                return bl_errf(eb, BL_ENOMEM, "sim: out of memory for %d clients", s->o.clients);
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_tclient *c = &t->clients[i];
                struct bl_txn_params p = t->params;
                int rc;

                c->id = (uint32_t)i + 1;
                c->idle = 1;
                c->node = s->o.client_node != NULL ? s->o.client_node[i] : i % s->o.nodes;
                if (c->node < 0 || c->node >= s->o.nodes)
                        return bl_errf(eb, BL_EINVAL, "sim: client_node[%d] = %d, want 0..%d", i,
                                       c->node, s->o.nodes - 1);
                p.session = (uint32_t)i;
                rc = bl_txngen_init(&c->gen, &p, eb);
                if (rc != 0)
                        return rc;
                c->guess = bl_calloc((size_t)s->o.shards, sizeof(int));
                if (c->guess == NULL)
                        return bl_errf(eb, BL_ENOMEM, "sim: out of memory for %d clients",
                                       s->o.clients);
                for (int sh = 0; sh < s->o.shards; sh++)
                        c->guess[sh] = (int)bl_rng_below(&s->client_rng, (uint64_t)s->o.replicas);
        }
        return s->violated ? bl_errf(eb, BL_ENOMEM, "%s", s->violation.msg) : 0;
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
        if (t->clients != NULL) {
                for (int i = 0; i < s->o.clients; i++) {
                        bl_txngen_free(&t->clients[i].gen);
                        bl_free(t->clients[i].ops);
                        bl_free(t->clients[i].guess);
                        bl_free(t->clients[i].outc);
                }
                bl_free(t->clients);
        }
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

/* ---- transaction clients ---- */

static uint8_t outcome_of(uint8_t tpc_outcome)
{
        return tpc_outcome == BL_TPC_COMMITTED ? BL_OUT_OK : BL_OUT_FAIL;
}

/* Turn the generator's next transaction into the client's ops. */
static int next_ops(struct bl_sim *s, struct sim_tclient *c)
{
        const struct bl_txn_req *r = bl_txngen_next(&c->gen);
        uint32_t n = 0;

        if (grow((void **)&c->ops, &c->cap, 2 * (size_t)r->nops, sizeof(*c->ops)) != 0)
                return BL_ENOMEM;
        for (uint32_t i = 0; i < r->nops; i++) {
                const struct bl_txop *o = &r->ops[i];

                switch (o->kind) {
                case BL_TXOP_READ:
                        c->ops[n++] = (struct bl_tpc_op){BL_TXS_READ, o->key, 0};
                        break;
                case BL_TXOP_ADD:
                        c->ops[n++] = (struct bl_tpc_op){BL_TXS_ADD, o->key, (uint64_t)o->arg};
                        break;
                case BL_TXOP_RMW:
                        c->ops[n++] = (struct bl_tpc_op){BL_TXS_READ, o->key, 0};
                        c->ops[n++] = (struct bl_tpc_op){BL_TXS_WRITE, o->key, (uint64_t)o->arg};
                        break;
                default:
                        c->ops[n++] = (struct bl_tpc_op){BL_TXS_APPEND, o->key, (uint64_t)o->arg};
                        break;
                }
        }
        c->nops = n;
        c->cls = r->cls;
        (void)s;
        return 0;
}

static int op_writes(uint8_t kind)
{
        return kind == BL_TXS_WRITE || kind == BL_TXS_ADD || kind == BL_TXS_APPEND;
}

/* Add op i's read to the history: the committed prefix it saw (n elements
 * at p), then the transaction's own earlier appends to the key. */
static int read_list(struct sim_txn *t, const struct sim_tclient *c, uint32_t i, const uint8_t *p,
                     uint64_t n)
{
        uint64_t key = c->ops[i].key, len = n;
        uint64_t *lst = bl_malloc((size_t)(n + i + 1) * 8);
        int rc;

        if (lst == NULL)
                return BL_ENOMEM;
        if (n > 0)
                memcpy(lst, p, 8 * n);
        for (uint32_t j = 0; j < i; j++)
                if (c->ops[j].kind == BL_TXS_APPEND && c->ops[j].key == key)
                        lst[len++] = c->ops[j].arg;
        rc = bl_txn_read(&t->hist, key, lst, len);
        bl_free(lst);
        return rc;
}

/* The shards c's current transaction writes, into sh (room for nops);
 * returns how many. */
static uint32_t written_shards(const struct bl_sim *s, const struct sim_tclient *c, uint32_t *sh)
{
        uint32_t n = 0;

        for (uint32_t i = 0; i < c->nops; i++) {
                uint32_t x, j;

                if (!op_writes(c->ops[i].kind))
                        continue;
                x = (uint32_t)bl_shard_of(c->ops[i].key, s->o.shards);
                for (j = 0; j < n && sh[j] != x; j++)
                        ;
                if (j == n)
                        sh[n++] = x;
        }
        return n;
}

/* Record the outcome of c's current transaction (reads: the result's, or
 * NULL) and, for list-append, its place in the history. */
static void record(struct bl_sim *s, struct sim_tclient *c, uint8_t outcome, const uint8_t *reads)
{
        struct sim_txn *t = s->txn;
        struct sim_txrec *rec;
        uint64_t num = c->cur & 0xffffffffULL;

        if (grow((void **)&t->recs, &t->caprecs, t->nrecs + 1, sizeof(*t->recs)) != 0 ||
            grow((void **)&t->shards, &t->capshards, t->nshards + c->nops, sizeof(*t->shards)) != 0)
                goto oom;
        rec = &t->recs[t->nrecs++];
        rec->id = c->cur;
        rec->outcome = outcome;
        rec->off = t->nshards;
        rec->nshards = written_shards(s, c, t->shards + rec->off);
        t->nshards += rec->nshards;
        c->outc[num - 1] = outcome;
        if (outcome == BL_OUT_OK)
                s->st.txn_committed++;
        else if (outcome == BL_OUT_FAIL)
                s->st.txn_aborted++;
        else
                s->st.txn_unknown++;
        if (t->params.type == BL_TXW_LIST_APPEND) {
                const uint8_t *p = reads;

                if (bl_txn_begin(&t->hist, c->cur, c->id, outcome, c->invoke_ns, s->now) != 0)
                        goto oom;
                for (uint32_t i = 0; i < c->nops; i++) {
                        const struct bl_tpc_op *o = &c->ops[i];
                        uint64_t n = 0;

                        if (p != NULL)
                                memcpy(&n, p + 8, 8);
                        if (o->kind == BL_TXS_APPEND) {
                                if (bl_txn_append(&t->hist, o->key, o->arg) != 0)
                                        goto oom;
                        } else if (p != NULL && outcome == BL_OUT_OK &&
                                   read_list(t, c, i, p + 16, n) != 0) {
                                goto oom;
                        }
                        if (p != NULL)
                                p += 16 + 8 * n;
                }
        }
        if (t->params.type == BL_TXW_BANK && c->cls == BL_TXC_AUDIT && outcome == BL_OUT_OK &&
            reads != NULL) {
                struct sim_audit *a;
                const uint8_t *p = reads;

                if (grow((void **)&t->audits, &t->capaudits, t->naudits + 1, sizeof(*t->audits)) ||
                    grow((void **)&t->acct, &t->capbal, t->nbal + c->nops, sizeof(*t->acct)))
                        goto oom;
                /* acct and bal share capbal: grow bal to the same capacity. */
                {
                        int64_t *nb = bl_realloc(t->bal, t->capbal * sizeof(*t->bal));

                        if (nb == NULL)
                                goto oom;
                        t->bal = nb;
                }
                a = &t->audits[t->naudits++];
                a->txn = c->cur;
                a->off = t->nbal;
                a->n = 0;
                for (uint32_t i = 0; i < c->nops; i++) {
                        uint64_t v, n;

                        memcpy(&v, p, 8);
                        memcpy(&n, p + 8, 8);
                        p += 16 + 8 * n;
                        if (c->ops[i].kind != BL_TXS_READ)
                                continue;
                        t->acct[t->nbal] = c->ops[i].key;
                        t->bal[t->nbal] = (int64_t)v;
                        t->nbal++;
                        a->n++;
                }
                s->st.txn_audits++;
        }
        return;
oom:
        sim_violate(s, "sim: out of memory recording a transaction");
}

static void push_timer(struct bl_sim *s, struct sim_tclient *c, int timeout, uint64_t at)
{
        struct sim_ev ev = {
            .kind = SIM_EV_CTIMER, .a = (int32_t)(c->id - 1), .b = timeout, .x = c->token, .t = at};

        c->idle = 0;
        sim_push(s, &ev);
}

static int first_shard(const struct bl_sim *s, const struct sim_tclient *c)
{
        return bl_shard_of(c->ops[0].key, s->o.shards);
}

/* Begin c's current transaction on node; returns bl_tpc_begin's code. */
static int begin_on(struct bl_sim *s, struct sim_tclient *c, int node, uint64_t ts)
{
        struct sim_tnode *tn = tnode(s, node);
        struct bl_tpc_txn x = {
            .id = c->cur, .ts = ts, .cookie = c->id - 1, .nops = c->nops, .ops = c->ops};
        int rc;

        if (tn->tpc == NULL)
                return BL_EBUSY;
        TPC_CALL(tn, rc = bl_tpc_begin(tn->tpc, &x));
        if (rc == BL_EINVAL)
                sim_violate(s, "node %d refused txn %" PRIx64 " of client %u (%u ops): %s", node,
                            c->cur, c->id, c->nops, bl_strerror(rc));
        return rc;
}

/* Send (or, with 2pc/none, hand) the current transaction to its coordinator. */
static void transmit(struct bl_sim *s, struct sim_tclient *c)
{
        c->token++;
        s->st.client_sends++;
        if (!s->txn->replicated) {
                int rc = begin_on(s, c, c->node, c->invoke_ns);

                if (rc == BL_ENOMEM || rc == BL_EBUSY || rc == BL_ENOTLEADER)
                        push_timer(s, c, 0, s->now + s->o.client_backoff_ns);
                return;
        }
        {
                int shard = first_shard(s, c);
                int node = bl_sim_node_of(s, shard, c->guess[shard]);
                size_t len = sizeof(struct sim_treq) + c->nops * sizeof(struct bl_tpc_op);
                struct sim_treq h = {
                    .id = c->cur, .ts = c->invoke_ns, .cookie = c->id - 1, .nops = c->nops};
                int copies = 1;

                if (sim_lost(s)) {
                        s->st.msgs_dropped++;
                        copies = 0;
                } else if (sim_duped(s)) {
                        s->st.msgs_duplicated++;
                        copies = 2;
                }
                for (int i = 0; i < copies; i++) {
                        struct sim_ev ev = {.kind = SIM_EV_TREQ,
                                            .a = (int32_t)(c->id - 1),
                                            .b = node,
                                            .x = c->token,
                                            .len = len};

                        ev.buf = bl_malloc(len);
                        if (ev.buf == NULL) {
                                s->st.msgs_dropped++;
                                continue;
                        }
                        memcpy(ev.buf, &h, sizeof(h));
                        memcpy((uint8_t *)ev.buf + sizeof(h), c->ops,
                               c->nops * sizeof(struct bl_tpc_op));
                        ev.t = s->now + sim_latency(s);
                        sim_push(s, &ev);
                }
                push_timer(s, c, 1, s->now + s->o.client_timeout_ns);
        }
}

static void start_txn(struct bl_sim *s, struct sim_tclient *c)
{
        if (next_ops(s, c) != 0 || grow((void **)&c->outc, &c->outc_cap, c->n + 1, 1) != 0) {
                sim_violate(s, "sim: out of memory starting a transaction");
                return;
        }
        c->n++;
        c->outc[c->n - 1] = OUT_NONE;
        c->cur = ((uint64_t)c->id << 32) | c->n;
        c->outstanding = 1;
        c->invoke_ns = s->now;
        s->pending++;
        transmit(s, c);
}

/* The current transaction is over (outcome recorded): the next one. */
static void finish(struct bl_sim *s, struct sim_tclient *c)
{
        c->outstanding = 0;
        s->pending--;
        s->st.completed++;
        c->token++;
        if (s->clients_on && !(!s->txn->replicated && s->crashed[c->node]))
                push_timer(s, c, 0, s->now);
        else
                c->idle = 1;
}

static void on_result(struct bl_sim *s, struct sim_tclient *c, const struct sim_ev *ev)
{
        struct sim_tres h;
        uint64_t num;
        uint8_t out;

        if (ev->len < sizeof(h))
                return;
        memcpy(&h, ev->buf, sizeof(h));
        num = h.id & 0xffffffffULL;
        if ((h.id >> 32) != c->id || num == 0 || num > c->n) {
                sim_violate(s, "client %u got a result for txn %" PRIx64 ", never issued", c->id,
                            h.id);
                return;
        }
        out = outcome_of(h.outcome);
        if (c->outc[num - 1] != OUT_NONE && c->outc[num - 1] != BL_OUT_UNKNOWN &&
            c->outc[num - 1] != out) {
                sim_violate(s,
                            "txn %" PRIx64 " of client %u reported %s, then %s (node %d, t=%" PRIu64
                            " ns)",
                            h.id, c->id, c->outc[num - 1] == BL_OUT_OK ? "committed" : "aborted",
                            out == BL_OUT_OK ? "committed" : "aborted", ev->b, s->now);
                return;
        }
        if (!c->outstanding || h.id != c->cur)
                return; /* a duplicate, or an answer to a retry of a finished one */
        if (h.has_reads && h.nops != c->nops) {
                sim_violate(s, "txn %" PRIx64 ": result with %u reads for %u ops", h.id, h.nops,
                            c->nops);
                return;
        }
        if (out == BL_OUT_FAIL && h.reason < 8)
                s->st.txn_aborts[h.reason]++;
        record(s, c, out, h.has_reads ? (const uint8_t *)ev->buf + sizeof(h) : NULL);
        finish(s, c);
}

static void on_redirect(struct bl_sim *s, struct sim_tclient *c, const struct sim_ev *ev)
{
        int shard, member;

        if (!c->outstanding || ev->x != c->cur || ev->z != c->token)
                return;
        s->st.client_redirects++;
        shard = first_shard(s, c);
        member = bl_sim_member_of(s, ev->b, shard);
        if (ev->c >= 0 && ev->c < s->o.replicas && ev->c != member)
                c->guess[shard] = ev->c;
        else if (ev->c != member || member < 0)
                c->guess[shard] = (c->guess[shard] + 1) % s->o.replicas;
        c->token++;
        push_timer(s, c, 0, s->now + s->o.client_backoff_ns);
}

static void reply_redirect(struct bl_sim *s, const struct sim_ev *req, int hint)
{
        struct sim_ev ev = {
            .kind = SIM_EV_TREPLY, .a = req->a, .b = req->b, .c = hint, .d = 1, .z = req->x};
        struct sim_treq h;

        memcpy(&h, req->buf, sizeof(h));
        ev.x = h.id;
        if (sim_lost(s)) {
                s->st.replies_lost++;
                return;
        }
        ev.t = s->now + sim_latency(s);
        sim_push(s, &ev);
}

static void on_request(struct bl_sim *s, const struct sim_ev *ev)
{
        struct sim_tclient *c = &s->txn->clients[ev->a];
        struct sim_tnode *tn = tnode(s, ev->b);
        struct bl_tpc_txn x;
        struct sim_treq h;
        int rc, shard;

        if (s->crashed[ev->b] || tn->tpc == NULL) {
                s->st.msgs_dropped++;
                return;
        }
        memcpy(&h, ev->buf, sizeof(h));
        x = (struct bl_tpc_txn){
            .id = h.id,
            .ts = h.ts,
            .cookie = h.cookie,
            .nops = h.nops,
            .ops = (const struct bl_tpc_op *)((const uint8_t *)ev->buf + sizeof(h))};
        TPC_CALL(tn, rc = bl_tpc_begin(tn->tpc, &x));
        if (rc == 0)
                return;
        shard = bl_shard_of(x.ops[0].key, s->o.shards);
        if (rc == BL_ENOTLEADER) {
                const struct sim_inst *in = sim_inst(s, ev->b, shard);
                int hint = in != NULL && in->k != NULL ? s->o.kernel->leader(in->k) : -1;

                reply_redirect(s, ev, hint);
        } else if (rc == BL_ENOMEM || rc == BL_EBUSY) {
                reply_redirect(s, ev, bl_sim_member_of(s, ev->b, shard));
        } else if (rc == BL_EINVAL) {
                sim_violate(s, "node %d refused txn %" PRIx64 " of client %u (%u ops)", ev->b, h.id,
                            c->id, h.nops);
        }
        /* Anything else: already active there (a resend); its result comes. */
}

static void on_timer(struct bl_sim *s, const struct sim_ev *ev)
{
        struct sim_tclient *c = &s->txn->clients[ev->a];

        if (ev->x != c->token)
                return;
        if (ev->b) { /* timeout: the same id, to the next member */
                int shard;

                if (!c->outstanding)
                        return;
                shard = first_shard(s, c);
                s->st.client_timeouts++;
                s->st.client_retries++;
                c->guess[shard] = (c->guess[shard] + 1) % s->o.replicas;
                transmit(s, c);
                return;
        }
        if (c->outstanding) {
                s->st.client_retries++;
                transmit(s, c);
        } else if (s->clients_on && (s->txn->replicated || !s->crashed[c->node])) {
                start_txn(s, c);
        } else {
                c->idle = 1;
        }
}

void sim_txn_event(struct bl_sim *s, const struct sim_ev *ev)
{
        switch (ev->kind) {
        case SIM_EV_TPC:
                on_tpc_msg(s, ev);
                break;
        case SIM_EV_TREQ:
                on_request(s, ev);
                break;
        case SIM_EV_TREPLY:
                if (ev->a < 0 || ev->a >= s->o.clients)
                        break;
                if (ev->d == 0)
                        on_result(s, &s->txn->clients[ev->a], ev);
                else
                        on_redirect(s, &s->txn->clients[ev->a], ev);
                break;
        case SIM_EV_TDEFER:
                on_deferred(s, ev);
                break;
        case SIM_EV_CTIMER:
                if (ev->a >= 0 && ev->a < s->o.clients)
                        on_timer(s, ev);
                break;
        default:
                break;
        }
}

void sim_txn_clients(struct bl_sim *s, int on)
{
        if (!on)
                return;
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_tclient *c = &s->txn->clients[i];

                if (!c->idle)
                        continue;
                c->token++;
                push_timer(s, c, 0, s->now + bl_rng_below(&s->client_rng, s->o.lat_max_ns));
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
        if (s->txn->replicated)
                return;
        /* 2pc/none: the clients of this node lose their coordinator. */
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_tclient *c = &s->txn->clients[i];

                if (c->node != node)
                        continue;
                if (c->outstanding) {
                        record(s, c, BL_OUT_UNKNOWN, NULL);
                        c->outstanding = 0;
                        s->pending--;
                        s->st.completed++;
                }
                c->token++;
                c->idle = 1;
        }
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
        if (s->txn->replicated || !s->clients_on)
                return;
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_tclient *c = &s->txn->clients[i];

                if (c->node == node && c->idle) {
                        c->token++;
                        push_timer(s, c, 0, s->now);
                }
        }
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

int bl_sim_txn_outcome(const struct bl_sim *s, uint64_t txn)
{
        const struct sim_tclient *c;
        uint64_t id = txn >> 32, num = txn & 0xffffffffULL;

        if (s->txn == NULL || id < 1 || id > (uint64_t)s->o.clients)
                return -1;
        c = &s->txn->clients[id - 1];
        if (num < 1 || num > c->n || c->outc[num - 1] == OUT_NONE)
                return -1;
        return c->outc[num - 1];
}

/* ---- quiet and verdicts ---- */

uint64_t sim_txn_blocked_max(const struct bl_sim *s)
{
        size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;
        uint64_t max = 0;

        for (size_t i = 0; i < n; i++) {
                struct bl_txs_stats st;

                if (s->crashed[s->inst[i].node] || s->inst[i].txs == NULL)
                        continue;
                bl_txs_stats(s->inst[i].txs, &st);
                if (st.blocked_max_ns > max)
                        max = st.blocked_max_ns;
        }
        return max;
}

int sim_txn_quiet(const struct bl_sim *s)
{
        if (s->pending > 0)
                return 0;
        for (int sh = 0; sh < s->o.shards; sh++) {
                uint64_t applied = UINT64_MAX;

                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *in =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];
                        struct bl_txs_stats st;

                        if (s->crashed[in->node] || in->k == NULL)
                                continue;
                        bl_txs_stats(in->txs, &st);
                        if (st.in_doubt > 0 || st.waiting > 0 || st.read_held > 0)
                                return 0;
                        if (applied != UINT64_MAX && in->applied != applied)
                                return 0;
                        applied = in->applied;
                }
        }
        return 1;
}

void sim_txn_unquiet(const struct bl_sim *s, char *buf, size_t len)
{
        size_t at = 0;
        int n = snprintf(buf, len, "%" PRIu64 " transactions outstanding", s->pending);

        if (n < 0 || (size_t)n >= len)
                return;
        at = (size_t)n;
        for (int i = 0, shown = 0; i < s->o.clients && shown < 2; i++) {
                const struct sim_tclient *c = &s->txn->clients[i];

                if (!c->outstanding)
                        continue;
                shown++;
                n = snprintf(buf + at, len - at,
                             " (client %u txn %" PRIx64
                             ", %u ops, first shard %d, sent to node %d)",
                             c->id, c->cur, c->nops, first_shard(s, c),
                             s->txn->replicated
                                 ? bl_sim_node_of(s, first_shard(s, c), c->guess[first_shard(s, c)])
                                 : c->node);
                if (n < 0 || (size_t)n >= len - at)
                        return;
                at += (size_t)n;
        }
        for (int sh = 0; sh < s->o.shards; sh++) {
                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *in =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];
                        struct bl_txs_stats st;
                        uint64_t ids[2] = {0, 0};

                        if (s->crashed[in->node] || in->k == NULL)
                                continue;
                        bl_txs_stats(in->txs, &st);
                        bl_txs_in_doubt(in->txs, ids, 2);
                        n = snprintf(buf + at, len - at,
                                     "; shard %d node %d: applied %" PRIu64 ", in doubt %" PRIu64
                                     " (first %" PRIx64 "), waiting %" PRIu64
                                     ", read-held %" PRIu64,
                                     sh, in->node, in->applied, st.in_doubt, ids[0], st.waiting,
                                     st.read_held);
                        if (n < 0 || (size_t)n >= len - at)
                                return;
                        at += (size_t)n;
                }
        }
}

/* 1 when every live replica applied barrier b. */
static int barrier_done(const struct bl_sim *s, uint64_t b)
{
        size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;

        for (size_t i = 0; i < n; i++)
                if (!s->crashed[s->inst[i].node] && s->inst[i].k != NULL && s->inst[i].barrier < b)
                        return 0;
        return 1;
}

/* Propose barrier b through the leader of every shard that some live
 * replica has not applied it on. */
static void barrier_propose(struct bl_sim *s, uint64_t b)
{
        struct bl_txs_cmd c = {.type = BL_TXS_CMD_DECIDE, .txn = b, .commit = 0};
        uint8_t cmd[32];
        size_t len = bl_txs_cmd_encode(&c, cmd, sizeof(cmd));

        for (int sh = 0; sh < s->o.shards; sh++) {
                int node = bl_sim_leader(s, sh), done = 1;
                struct sim_inst *in;

                for (int m = 0; m < s->o.replicas; m++) {
                        const struct sim_inst *r =
                            &s->inst[(size_t)sh * (size_t)s->o.replicas + (size_t)m];

                        done &= s->crashed[r->node] || r->k == NULL || r->barrier >= b;
                }
                if (done || node < 0 || (in = sim_inst(s, node, sh)) == NULL || in->k == NULL)
                        continue;
                s->o.kernel->submit(in->k, cmd, len, 0, BARRIER_TAG | b);
        }
}

/*
 * Settling in transaction mode. Quiet (sim_txn_quiet) is not enough: a
 * replica that recovered may not have re-applied what its group chose
 * before (Paxos learns it again only once a leader runs phase 1 and
 * proposes again), so its store, commit log and in-doubt set can be stale
 * while everything looks still. So, once quiet, the simulator proposes a
 * barrier through every shard's leader (a DECIDE abort of a txn id no
 * client uses, kept from the commit layer) and waits until every live
 * replica applied it: the log order puts everything chosen before it in
 * place. Settled when the run is quiet with the latest barrier applied
 * everywhere; barriers are proposed again every 10 ms until applied.
 */
int sim_txn_settle(struct bl_sim *s, uint64_t end)
{
        struct sim_txn *t = s->txn;
        uint64_t last = 0;

        while (!s->violated) {
                if (sim_txn_quiet(s)) {
                        if (t->barrier > 0 && barrier_done(s, t->barrier) && sim_txn_quiet(s)) {
                                t->settled_events = s->st.events;
                                return 0;
                        }
                        if (t->barrier == 0 || barrier_done(s, t->barrier)) {
                                t->barrier++; /* a new one after what just happened */
                                last = 0;
                        }
                        if (last == 0 || s->now - last >= 10000000) {
                                barrier_propose(s, t->barrier);
                                last = s->now;
                        }
                }
                if (s->now >= end)
                        break;
                bl_sim_run_for(s, end - s->now < 1000000 ? end - s->now : 1000000);
        }
        return BL_ECHECK;
}

/* The outcome of every transaction (the outstanding ones unknown, their
 * written shards in *sh, which the caller frees). */
static int outcomes(const struct bl_sim *s, struct bl_txn_outcome **out, size_t *n, uint32_t **sh)
{
        const struct sim_txn *t = s->txn;
        struct bl_txn_outcome *o = bl_calloc(t->nrecs + (size_t)s->o.clients + 1, sizeof(*o));
        size_t k = 0, room = 1, at = 0;
        uint32_t *x;

        for (int i = 0; i < s->o.clients; i++)
                room += t->clients[i].outstanding ? t->clients[i].nops : 0;
        x = bl_calloc(room, sizeof(*x));
        if (o == NULL || x == NULL) {
                bl_free(o);
                bl_free(x);
                return BL_ENOMEM;
        }
        for (size_t i = 0; i < t->nrecs; i++)
                o[k++] = (struct bl_txn_outcome){.txn = t->recs[i].id,
                                                 .outcome = t->recs[i].outcome,
                                                 .nshards = t->recs[i].nshards,
                                                 .shards = t->shards + t->recs[i].off};
        for (int i = 0; i < s->o.clients; i++) {
                const struct sim_tclient *c = &t->clients[i];
                uint32_t ns;

                if (!c->outstanding)
                        continue;
                ns = written_shards(s, c, x + at);
                o[k++] = (struct bl_txn_outcome){
                    .txn = c->cur, .outcome = BL_OUT_UNKNOWN, .nshards = ns, .shards = x + at};
                at += ns;
        }
        *out = o;
        *n = k;
        *sh = x;
        return 0;
}

/* A live replica of shard: member m when it is up, else the first that is. */
static const struct sim_inst *live_member(const struct bl_sim *s, int shard, int m)
{
        const struct sim_inst *base = &s->inst[(size_t)shard * (size_t)s->o.replicas];

        if (!s->crashed[base[m].node])
                return &base[m];
        for (int i = 0; i < s->o.replicas; i++)
                if (!s->crashed[base[i].node])
                        return &base[i];
        return &base[m];
}

static int check_atomicity(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct bl_txn_outcome *o = NULL;
        struct bl_shard_log *logs;
        uint64_t **doubt;
        uint32_t *osh = NULL;
        size_t no = 0;
        int rc = outcomes(s, &o, &no, &osh);

        if (rc != 0)
                return bl_errf(eb, rc, "sim check: out of memory");
        logs = bl_calloc((size_t)s->o.shards, sizeof(*logs));
        doubt = bl_calloc((size_t)s->o.shards, sizeof(*doubt));
        if (logs == NULL || doubt == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                goto out;
        }
        for (int m = 0; m < s->o.replicas && rc == 0; m++) {
                struct bl_verdict v;

                for (int sh = 0; sh < s->o.shards; sh++) {
                        const struct sim_inst *in = live_member(s, sh, m);
                        size_t nd = bl_txs_in_doubt(in->txs, NULL, 0);

                        logs[sh].shard = (uint32_t)sh;
                        logs[sh].napplied = bl_txs_commit_log(in->txs, &logs[sh].applied);
                        bl_free(doubt[sh]);
                        doubt[sh] = nd > 0 ? bl_calloc(nd, sizeof(uint64_t)) : NULL;
                        if (nd > 0 && doubt[sh] == NULL) {
                                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                                goto out;
                        }
                        logs[sh].nin_doubt = bl_txs_in_doubt(in->txs, doubt[sh], nd);
                        logs[sh].in_doubt = doubt[sh];
                }
                memset(&v, 0, sizeof(v));
                rc = bl_check_atomicity(o, no, logs, (size_t)s->o.shards, &v);
                if (rc != 0) {
                        rc = bl_errf(eb, rc, "atomicity: check failed to run: %s", v.reason);
                        break;
                }
                if (v.pass == BL_VERDICT_FAIL || v.pass == BL_VERDICT_INCONCLUSIVE)
                        rc = bl_errf(eb, BL_ECHECK, "atomicity (member %d of every shard): %s", m,
                                     v.reason);
        }
out:
        if (doubt != NULL)
                for (int sh = 0; sh < s->o.shards; sh++)
                        bl_free(doubt[sh]);
        bl_free(doubt);
        bl_free(logs);
        bl_free(o);
        bl_free(osh);
        return rc;
}

static int check_bank(struct bl_sim *s, int final_state, struct bl_errbuf *eb)
{
        const struct sim_txn *t = s->txn;
        struct bl_bank_audit *a = NULL;
        int64_t *fin = NULL;
        struct bl_verdict v;
        int rc;

        if (t->naudits > 0) {
                a = bl_calloc(t->naudits, sizeof(*a));
                if (a == NULL)
                        return bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
        }
        for (size_t i = 0; i < t->naudits; i++)
                a[i] = (struct bl_bank_audit){.txn = t->audits[i].txn,
                                              .n = t->audits[i].n,
                                              .account = t->acct + t->audits[i].off,
                                              .balance = t->bal + t->audits[i].off};
        if (final_state) {
                fin = bl_calloc(t->params.keys, sizeof(*fin));
                if (fin == NULL) {
                        bl_free(a);
                        return bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                }
                for (uint64_t k = 0; k < t->params.keys; k++) {
                        int sh = bl_shard_of(k, s->o.shards);
                        fin[k] = (int64_t)bl_txs_value(live_member(s, sh, 0)->txs, k);
                }
        }
        memset(&v, 0, sizeof(v));
        rc = bl_check_bank(t->params.initial_balance * (int64_t)t->params.keys, t->params.keys, a,
                           t->naudits, fin, &v);
        bl_free(a);
        bl_free(fin);
        if (rc != 0)
                return bl_errf(eb, rc, "bank: check failed to run: %s", v.reason);
        if (v.pass == BL_VERDICT_FAIL || v.pass == BL_VERDICT_INCONCLUSIVE)
                return bl_errf(eb, BL_ECHECK, "bank: %s", v.reason);
        return 0;
}

static int check_serial(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct sim_txn *t = s->txn;
        struct bl_txn_history *h = &t->hist;
        size_t n = h->n, nm = h->nmops, nv = h->nvals;
        struct bl_ser_opts opts;
        struct bl_ser_result *r;
        int rc = 0;

        /* The outstanding transactions join as unknown for the check only. */
        for (int i = 0; i < s->o.clients && rc == 0; i++) {
                const struct sim_tclient *c = &t->clients[i];

                if (!c->outstanding)
                        continue;
                rc = bl_txn_begin(h, c->cur, c->id, BL_OUT_UNKNOWN, c->invoke_ns, UINT64_MAX);
                for (uint32_t j = 0; j < c->nops && rc == 0; j++)
                        if (c->ops[j].kind == BL_TXS_APPEND)
                                rc = bl_txn_append(h, c->ops[j].key, c->ops[j].arg);
        }
        r = bl_calloc(1, sizeof(*r));
        if (rc != 0 || r == NULL) {
                rc = bl_errf(eb, BL_ENOMEM, "sim check: out of memory");
                goto out;
        }
        bl_ser_opts_default(&opts);
        opts.time_limit_s = SER_TIME_LIMIT_S;
        opts.realtime = 1;
        rc = bl_ser_check(h, &opts, r);
        if (rc != 0) {
                rc = bl_errf(eb, BL_ECHECK, "serializability: check failed to run (%s): %.300s",
                             bl_strerror(rc), r->reason);
                goto out;
        }
        if (r->serializable != 1 || r->strict != 1)
                rc = bl_errf(eb, BL_ECHECK, "serializability%s: %.400s",
                             r->inconclusive        ? " (inconclusive)"
                             : r->serializable == 1 ? " (strict)"
                                                    : "",
                             r->reason);
out:
        bl_free(r);
        h->n = n;
        h->nmops = nm;
        h->nvals = nv;
        return rc;
}

int sim_txn_check(struct bl_sim *s, struct bl_errbuf *eb)
{
        int quiet = s->txn->settled_events == s->st.events && !s->clients_on;
        int rc = 0;

        if (s->txn->params.type == BL_TXW_LIST_APPEND)
                rc = check_serial(s, eb);
        if (rc == 0 && s->txn->params.type == BL_TXW_BANK)
                rc = check_bank(s, quiet, eb);
        if (rc == 0 && quiet)
                rc = check_atomicity(s, eb);
        return rc;
}
