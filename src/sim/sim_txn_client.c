/*
 * The transaction clients of the simulator's transaction mode (sim.h,
 * Transactions): sessions that draw transactions from bl_txngen, one
 * outstanding each, hand them to their node's coordinator (2pc/none) or
 * send them to the leader of their first shard (replicated), and record
 * outcomes, list-append histories and bank audits for the verdicts.
 */
#include <inttypes.h>
#include <string.h>

#include "check/history.h"
#include "common/alloc.h"
#include "sim/sim_txn_int.h"
#include "store/kv.h"

static uint8_t outcome_of(uint8_t tpc_outcome)
{
        return tpc_outcome == BL_TPC_COMMITTED ? BL_OUT_OK : BL_OUT_FAIL;
}

/* Turn the generator's next transaction into the client's ops. */
static int next_ops(struct bl_sim *s, struct sim_tclient *c)
{
        const struct bl_txn_req *r = bl_txngen_next(&c->gen);
        uint32_t n = 0;

        if (sim_txn_grow((void **)&c->ops, &c->cap, 2 * (size_t)r->nops, sizeof(*c->ops)) != 0)
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
uint32_t sim_txn_written_shards(const struct bl_sim *s, const struct sim_tclient *c, uint32_t *sh)
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

        if (sim_txn_grow((void **)&t->recs, &t->caprecs, t->nrecs + 1, sizeof(*t->recs)) != 0 ||
            sim_txn_grow((void **)&t->shards, &t->capshards, t->nshards + c->nops,
                         sizeof(*t->shards)) != 0)
                goto oom;
        rec = &t->recs[t->nrecs++];
        rec->id = c->cur;
        rec->outcome = outcome;
        rec->off = t->nshards;
        rec->nshards = sim_txn_written_shards(s, c, t->shards + rec->off);
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

                if (sim_txn_grow((void **)&t->audits, &t->capaudits, t->naudits + 1,
                                 sizeof(*t->audits)) ||
                    sim_txn_grow((void **)&t->acct, &t->capbal, t->nbal + c->nops,
                                 sizeof(*t->acct)))
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

int sim_txn_first_shard(const struct bl_sim *s, const struct sim_tclient *c)
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
                int shard = sim_txn_first_shard(s, c);
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
        if (next_ops(s, c) != 0 ||
            sim_txn_grow((void **)&c->outc, &c->outc_cap, c->n + 1, 1) != 0) {
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
        shard = sim_txn_first_shard(s, c);
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
                shard = sim_txn_first_shard(s, c);
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

void sim_txn_done(void *ctx, const struct bl_tpc_result *r)
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

int sim_txn_clients_init(struct bl_sim *s, struct bl_errbuf *eb)
{
        struct sim_txn *t = s->txn;

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
        return 0;
}

void sim_txn_clients_free(struct bl_sim *s)
{
        struct sim_txn *t = s->txn;

        if (t->clients != NULL) {
                for (int i = 0; i < s->o.clients; i++) {
                        bl_txngen_free(&t->clients[i].gen);
                        bl_free(t->clients[i].ops);
                        bl_free(t->clients[i].guess);
                        bl_free(t->clients[i].outc);
                }
                bl_free(t->clients);
        }
}

void sim_txn_clients_lost(struct bl_sim *s, int node)
{
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

void sim_txn_clients_back(struct bl_sim *s, int node)
{
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

void sim_txn_client_event(struct bl_sim *s, const struct sim_ev *ev)
{
        switch (ev->kind) {
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
        case SIM_EV_CTIMER:
                if (ev->a >= 0 && ev->a < s->o.clients)
                        on_timer(s, ev);
                break;
        default:
                break;
        }
}
