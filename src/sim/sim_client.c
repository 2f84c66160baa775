/*
 * Simulated client sessions and the history they record.
 *
 * A session has at most one request outstanding. Its timers (send after a
 * backoff, timeout) carry the session's token at scheduling time; every
 * change of state bumps the token, so a stale timer is recognised and
 * ignored instead of being removed from the heap.
 */
#include <string.h>

#include "common/alloc.h"
#include "sim/sim_int.h"
#include "store/kv.h"

#define CMD_BUF 64 /* encoded command: 37-byte header, pad 0 */

int sim_clients_init(struct bl_sim *s)
{
        s->n_ops = 0;
        for (int op = 0; op < BL_OP__COUNT; op++)
                if (s->o.op_mask & (1u << op))
                        s->ops[s->n_ops++] = op;
        if (s->o.clients == 0)
                return 0;
        s->clients = bl_calloc((size_t)s->o.clients, sizeof(*s->clients));
        if (s->clients == NULL)
                return BL_ENOMEM;
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_client *c = &s->clients[i];

                c->id = (uint32_t)i + 1;
                c->idle = 1;
                c->guess = bl_calloc((size_t)s->o.shards, sizeof(int));
                if (c->guess == NULL)
                        return BL_ENOMEM;
                for (int sh = 0; sh < s->o.shards; sh++)
                        c->guess[sh] = (int)bl_rng_below(&s->client_rng, (uint64_t)s->o.replicas);
        }
        return 0;
}

void sim_clients_free(struct bl_sim *s)
{
        if (s->clients == NULL)
                return;
        for (int i = 0; i < s->o.clients; i++)
                bl_free(s->clients[i].guess);
        bl_free(s->clients);
        s->clients = NULL;
}

static void push_timer(struct bl_sim *s, struct sim_client *c, int timeout, uint64_t at)
{
        struct sim_ev ev = {
            .kind = SIM_EV_CTIMER, .a = (int32_t)(c->id - 1), .b = timeout, .x = c->token, .t = at};

        c->idle = 0;
        sim_push(s, &ev);
}

/* One copy of a request on its way from client c to node. */
static void push_request(struct bl_sim *s, struct sim_client *c, int node, int shard)
{
        struct sim_ev ev = {
            .kind = SIM_EV_CREQ, .a = (int32_t)(c->id - 1), .b = node, .c = shard, .x = c->token};
        size_t len = bl_cmd_size(&c->cmd);

        ev.buf = bl_malloc(len);
        if (ev.buf == NULL) {
                s->st.msgs_dropped++;
                return;
        }
        ev.len = bl_cmd_encode(&c->cmd, ev.buf, len);
        ev.t = s->now + sim_latency(s);
        sim_push(s, &ev);
}

/* Send the current request to the believed leader and arm the timeout. */
static void transmit(struct bl_sim *s, struct sim_client *c)
{
        int shard = bl_shard_of(c->cmd.key, s->o.shards);
        int node = bl_sim_node_of(s, shard, c->guess[shard]);

        c->token++;
        s->st.client_sends++;
        if (sim_lost(s)) {
                s->st.msgs_dropped++;
        } else {
                push_request(s, c, node, shard);
                if (sim_duped(s)) {
                        s->st.msgs_duplicated++;
                        push_request(s, c, node, shard);
                }
        }
        push_timer(s, c, 1, s->now + s->o.client_timeout_ns);
}

static void start_op(struct bl_sim *s, struct sim_client *c)
{
        struct bl_cmd *cmd = &c->cmd;

        c->seq++;
        memset(cmd, 0, sizeof(*cmd));
        cmd->op = (uint8_t)s->ops[bl_rng_below(&s->client_rng, (uint64_t)s->n_ops)];
        cmd->client = c->id;
        cmd->seq = c->seq;
        cmd->key = bl_rng_below(&s->client_rng, s->o.keys);
        if (cmd->op == BL_OP_INCR)
                cmd->value = 1;
        else if (cmd->op != BL_OP_GET)
                /* Unique write token; the low 12 bits stay clear so that
                 * increments on top of a token do not forge another one. */
                cmd->value = (1ULL << 62) | ((uint64_t)c->id << 36) | (c->seq << 12);
        c->outstanding = 1;
        c->invoke_ns = s->now;
        s->pending++;
        transmit(s, c);
}

static void complete_op(struct bl_sim *s, struct sim_client *c, const struct sim_ev *ev)
{
        c->outstanding = 0;
        s->pending--;
        s->st.completed++;
        if (s->o.record_history) {
                struct bl_hop h = {
                    .client = c->id,
                    .op = c->cmd.op,
                    .outcome = BL_OUT_OK,
                    .ret_status = (uint8_t)ev->d,
                    .key = c->cmd.key,
                    .arg = c->cmd.value,
                    .ret = ev->y,
                    .invoke_ns = c->invoke_ns,
                    .return_ns = s->now,
                };

                if (bl_history_add(&s->hist, &h) != 0)
                        sim_violate(s, "simulator: out of memory recording the history");
        }
        c->token++;
        if (s->clients_on)
                push_timer(s, c, 0, s->now);
        else
                c->idle = 1;
}

static void on_reply(struct bl_sim *s, struct sim_client *c, const struct sim_ev *ev)
{
        int shard;

        if (!c->outstanding || ev->x != c->seq)
                return; /* stale or duplicate */
        shard = bl_shard_of(c->cmd.key, s->o.shards);
        if (ev->d == BL_ST_REDIRECT) {
                if (ev->z != c->token)
                        return; /* answer to an earlier try */
                s->st.client_redirects++;
                if (ev->c >= 0 && ev->c < s->o.replicas && ev->c != ev->b)
                        c->guess[shard] = ev->c;
                else if (ev->c != ev->b) /* no hint: ask another member */
                        c->guess[shard] = (c->guess[shard] + 1) % s->o.replicas;
                c->token++;
                push_timer(s, c, 0, s->now + s->o.client_backoff_ns);
                return;
        }
        if (ev->d != BL_ST_OK && ev->d != BL_ST_NOTFOUND)
                return; /* ERROR: cannot happen for the current seq; let it time out */
        c->guess[shard] = ev->b;
        complete_op(s, c, ev);
}

void sim_client_event(struct bl_sim *s, const struct sim_ev *ev)
{
        struct sim_client *c;

        if (s->txn != NULL) {
                sim_txn_event(s, ev); /* a transaction client's timer */
                return;
        }
        c = &s->clients[ev->a];
        if (ev->kind == SIM_EV_CREPLY) {
                on_reply(s, c, ev);
                return;
        }
        /* SIM_EV_CTIMER */
        if (ev->x != c->token)
                return;
        if (ev->b) { /* timeout */
                int shard = bl_shard_of(c->cmd.key, s->o.shards);

                if (!c->outstanding)
                        return;
                s->st.client_timeouts++;
                s->st.client_retries++;
                c->guess[shard] = (c->guess[shard] + 1) % s->o.replicas;
                transmit(s, c);
                return;
        }
        if (c->outstanding) {
                s->st.client_retries++;
                transmit(s, c);
        } else if (s->clients_on) {
                start_op(s, c);
        } else {
                c->idle = 1;
        }
}

static void push_reply(struct bl_sim *s, int client, int member, int hint, int status, uint64_t seq,
                       uint64_t value, uint64_t token)
{
        struct sim_ev ev = {.kind = SIM_EV_CREPLY,
                            .a = client,
                            .b = member,
                            .c = hint,
                            .d = status,
                            .x = seq,
                            .y = value,
                            .z = token};
        int copies = 1;

        if (sim_lost(s)) {
                s->st.replies_lost++;
                return;
        }
        if (sim_duped(s)) {
                s->st.msgs_duplicated++;
                copies = 2;
        }
        for (int i = 0; i < copies; i++) {
                ev.t = s->now + sim_latency(s);
                sim_push(s, &ev);
        }
}

void sim_client_request(struct bl_sim *s, struct sim_ev *ev)
{
        struct sim_inst *in = sim_inst(s, ev->b, ev->c);
        struct bl_cmd cmd;
        unsigned flags;
        int rc;

        if (in == NULL || s->crashed[ev->b]) {
                s->st.msgs_dropped++;
                return;
        }
        if (bl_cmd_decode(&cmd, ev->buf, ev->len) != 0)
                return;
        flags = bl_op_readonly(cmd.op) ? BL_SUBMIT_READONLY : 0;
        rc = s->o.kernel->submit(in->k, ev->buf, ev->len, flags, (uint64_t)cmd.client);
        if (rc == 0)
                return;
        if (rc == BL_ENOTLEADER)
                push_reply(s, ev->a, in->member, s->o.kernel->leader(in->k), BL_ST_REDIRECT,
                           cmd.seq, 0, ev->x);
        else /* busy or out of memory: retry here after the backoff */
                push_reply(s, ev->a, in->member, in->member, BL_ST_REDIRECT, cmd.seq, 0, ev->x);
}

void sim_client_dropped(struct bl_sim *s, struct sim_inst *in, uint64_t tag)
{
        struct sim_client *c;

        if (tag < 1 || tag > (uint64_t)s->o.clients)
                return;
        c = &s->clients[tag - 1];
        if (!c->outstanding)
                return;
        push_reply(s, (int)tag - 1, in->member, s->o.kernel->leader(in->k), BL_ST_REDIRECT, c->seq,
                   0, c->token);
}

void sim_client_reply(struct bl_sim *s, struct sim_inst *in, const struct bl_cmd *c,
                      const struct bl_result *res)
{
        if (c->client < 1 || c->client > (uint32_t)s->o.clients)
                return; /* not one of ours (a kernel's internal command) */
        push_reply(s, (int)c->client - 1, in->member, -1, res->status, c->seq, res->value, 0);
}

void bl_sim_clients(struct bl_sim *s, int on)
{
        s->clients_on = on != 0;
        if (s->txn != NULL) {
                sim_txn_clients(s, on);
                return;
        }
        if (!s->clients_on)
                return;
        for (int i = 0; i < s->o.clients; i++) {
                struct sim_client *c = &s->clients[i];

                if (!c->idle)
                        continue;
                c->token++;
                push_timer(s, c, 0, s->now + bl_rng_below(&s->client_rng, s->o.lat_max_ns));
        }
}

uint64_t bl_sim_completed(const struct bl_sim *s)
{
        return s->st.completed;
}

uint64_t bl_sim_pending(const struct bl_sim *s)
{
        return s->pending;
}

const struct bl_history *bl_sim_history(const struct bl_sim *s)
{
        struct bl_history *v = s->view;

        if (!s->o.record_history || s->txn != NULL)
                return NULL;
        v->n = 0;
        if (bl_history_reserve(v, s->hist.n + s->pending) != 0)
                return NULL;
        if (s->hist.n > 0)
                memcpy(v->ops, s->hist.ops, s->hist.n * sizeof(*v->ops));
        v->n = s->hist.n;
        for (int i = 0; i < s->o.clients; i++) {
                const struct sim_client *c = &s->clients[i];

                if (!c->outstanding)
                        continue;
                v->ops[v->n++] = (struct bl_hop){
                    .client = c->id,
                    .op = c->cmd.op,
                    .outcome = BL_OUT_UNKNOWN,
                    .key = c->cmd.key,
                    .arg = c->cmd.value,
                    .invoke_ns = c->invoke_ns,
                    .return_ns = UINT64_MAX,
                };
        }
        return v;
}
