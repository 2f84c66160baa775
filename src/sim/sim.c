/*
 * The simulator core: creation, the event queue, stepping, nodes and the
 * simulated network, and the checks that run as events happen (digest
 * prefixes, election safety, the invariant hook).
 *
 * The queue is a binary heap of events ordered by (time, insertion seq):
 * O(log n) per insert and pop. Message payloads are copied into the event
 * (one bl_malloc each) and freed after delivery.
 */
#include "sim/sim.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "sim/sim_int.h"
#include "store/kv.h"
#include "store/txn.h"

#define DEFAULT_TICK_NS 1000000ULL

int sim_violate(struct bl_sim *s, const char *fmt, ...)
{
        va_list ap;

        if (s->violated)
                return BL_ECHECK;
        s->violated = 1;
        va_start(ap, fmt);
        vsnprintf(s->violation.msg, sizeof(s->violation.msg), fmt, ap);
        va_end(ap);
        return BL_ECHECK;
}

/* ---- event queue ---- */

static int ev_before(const struct sim_ev *a, const struct sim_ev *b)
{
        return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

void sim_push(struct bl_sim *s, struct sim_ev *ev)
{
        size_t i;

        if (s->heap_n == s->heap_cap) {
                size_t cap = s->heap_cap ? s->heap_cap * 2 : 256;
                struct sim_ev *h = bl_realloc(s->heap, cap * sizeof(*h));

                if (h == NULL) {
                        bl_free(ev->buf);
                        sim_violate(s, "simulator: out of memory growing the event queue");
                        return;
                }
                s->heap = h;
                s->heap_cap = cap;
        }
        ev->seq = s->next_seq++;
        i = s->heap_n++;
        while (i > 0) {
                size_t p = (i - 1) / 2;

                if (!ev_before(ev, &s->heap[p]))
                        break;
                s->heap[i] = s->heap[p];
                i = p;
        }
        s->heap[i] = *ev;
}

static void heap_pop(struct bl_sim *s, struct sim_ev *out)
{
        struct sim_ev last;
        size_t i = 0, n;

        *out = s->heap[0];
        n = --s->heap_n;
        if (n == 0)
                return;
        last = s->heap[n];
        for (;;) {
                size_t l = 2 * i + 1, m;

                if (l >= n)
                        break;
                m = (l + 1 < n && ev_before(&s->heap[l + 1], &s->heap[l])) ? l + 1 : l;
                if (!ev_before(&s->heap[m], &last))
                        break;
                s->heap[i] = s->heap[m];
                i = m;
        }
        s->heap[i] = last;
}

/* ---- network draws ---- */

uint64_t sim_latency(struct bl_sim *s)
{
        return s->o.lat_min_ns + bl_rng_below(&s->net_rng, s->o.lat_max_ns - s->o.lat_min_ns + 1);
}

int sim_lost(struct bl_sim *s)
{
        return s->drop > 0 && bl_rng_double(&s->net_rng) < s->drop;
}

int sim_duped(struct bl_sim *s)
{
        return s->dup > 0 && bl_rng_double(&s->net_rng) < s->dup;
}

/* ---- placement ---- */

int bl_sim_node_of(const struct bl_sim *s, int shard, int member)
{
        if (shard < 0 || shard >= s->o.shards || member < 0 || member >= s->o.replicas)
                return -1;
        return (shard + member) % s->o.nodes;
}

int bl_sim_member_of(const struct bl_sim *s, int node, int shard)
{
        int m;

        if (node < 0 || node >= s->o.nodes || shard < 0 || shard >= s->o.shards)
                return -1;
        m = ((node - shard) % s->o.nodes + s->o.nodes) % s->o.nodes;
        return m < s->o.replicas ? m : -1;
}

int bl_sim_replicas(const struct bl_sim *s)
{
        return s->o.replicas;
}

struct sim_inst *sim_inst(const struct bl_sim *s, int node, int shard)
{
        int m = bl_sim_member_of(s, node, shard);

        return m < 0 ? NULL : &s->inst[(size_t)shard * (size_t)s->o.replicas + (size_t)m];
}

void *bl_sim_instance(struct bl_sim *s, int node, int shard)
{
        struct sim_inst *in = sim_inst(s, node, shard);

        return in ? in->k : NULL;
}

struct bl_kv *bl_sim_kv(struct bl_sim *s, int node, int shard)
{
        struct sim_inst *in = sim_inst(s, node, shard);

        return in ? in->kv : NULL;
}

/* ---- digest and election checks ---- */

uint64_t sim_inst_applied(const struct sim_inst *in)
{
        return in->txs != NULL ? in->applied : bl_kv_applied(in->kv);
}

uint64_t sim_inst_digest(const struct sim_inst *in)
{
        return in->txs != NULL ? bl_txs_digest(in->txs) : bl_kv_digest(in->kv);
}

/* Compare (or record) the replica's digest after its current applied count
 * with the shard's canonical vector. */
void sim_record_digest(struct bl_sim *s, struct sim_inst *in)
{
        struct sim_digests *d = &s->digests[in->shard];
        uint64_t n = sim_inst_applied(in), dig = sim_inst_digest(in);

        if (n == 0)
                return;
        if (n > d->cap) {
                size_t cap = d->cap ? d->cap : 256;
                uint64_t *nd;
                int *nw;

                while (cap < n)
                        cap *= 2;
                nd = bl_realloc(d->dig, cap * sizeof(*nd));
                if (nd == NULL)
                        goto oom;
                d->dig = nd;
                nw = bl_realloc(d->who, cap * sizeof(*nw));
                if (nw == NULL)
                        goto oom;
                d->who = nw;
                d->cap = cap;
        }
        while (d->len < n) {
                d->dig[d->len] = 0;
                d->who[d->len] = -1;
                d->len++;
        }
        if (d->dig[n - 1] == 0) {
                d->dig[n - 1] = dig;
                d->who[n - 1] = in->node;
        } else if (d->dig[n - 1] != dig) {
                sim_violate(s,
                            "state machine safety: shard %d: node %d has digest %016llx after "
                            "%llu mutations, node %d had %016llx (t=%llu ns)",
                            in->shard, in->node, (unsigned long long)dig, (unsigned long long)n,
                            d->who[n - 1], (unsigned long long)d->dig[n - 1],
                            (unsigned long long)s->now);
        }
        return;
oom:
        sim_violate(s, "simulator: out of memory growing the digest vector of shard %d", in->shard);
}

static void record_leader(struct bl_sim *s, struct sim_inst *in, int64_t term)
{
        uint64_t key = (((uint64_t)term << 16) | (uint64_t)in->shard) + 1;
        size_t mask, i;

        if (2 * (s->terms_n + 1) > s->terms_cap) {
                size_t cap = s->terms_cap ? s->terms_cap * 2 : 64;
                struct sim_term *t = bl_calloc(cap, sizeof(*t));

                if (t == NULL) {
                        sim_violate(s, "simulator: out of memory in the term table");
                        return;
                }
                for (i = 0; i < s->terms_cap; i++) {
                        size_t j;

                        if (s->terms[i].key == 0)
                                continue;
                        j = bl_mix64(s->terms[i].key) & (cap - 1);
                        while (t[j].key != 0)
                                j = (j + 1) & (cap - 1);
                        t[j] = s->terms[i];
                }
                bl_free(s->terms);
                s->terms = t;
                s->terms_cap = cap;
        }
        mask = s->terms_cap - 1;
        for (i = bl_mix64(key) & mask; s->terms[i].key != 0; i = (i + 1) & mask) {
                if (s->terms[i].key != key)
                        continue;
                if (s->terms[i].node != in->node)
                        sim_violate(s,
                                    "election safety: shard %d term %lld: node %d and node %d "
                                    "both became leader (t=%llu ns)",
                                    in->shard, (long long)term, s->terms[i].node, in->node,
                                    (unsigned long long)s->now);
                return;
        }
        s->terms[i].key = key;
        s->terms[i].node = in->node;
        s->terms_n++;
}

/* ---- the environment handed to kernels ---- */

static uint64_t env_now(void *ctx)
{
        return ((struct sim_inst *)ctx)->s->now;
}

static uint64_t env_random(void *ctx)
{
        return bl_rng_next(&((struct sim_inst *)ctx)->rng);
}

/* Extra delay of a message from node `from` to node `to`: the largest of the
 * matching rules' draws (bl_sim_set_delay). */
static uint64_t link_delay(struct bl_sim *s, int from, int to)
{
        uint64_t d = 0;

        for (int i = 0; i < s->n_delays; i++) {
                const struct sim_delay *r = &s->delays[i];
                uint64_t v;

                if ((r->from >= 0 && r->from != from) || (r->to >= 0 && r->to != to))
                        continue;
                v = r->mean - r->jitter + bl_rng_below(&s->net_rng, 2 * r->jitter + 1);
                if (v > d)
                        d = v;
        }
        return d;
}

static void push_msg(struct bl_sim *s, int from, int to, const struct sim_ev *tmpl, const void *buf,
                     size_t len)
{
        struct sim_ev ev = *tmpl;

        ev.len = len;
        ev.buf = NULL;
        ev.t = s->now + sim_latency(s) + link_delay(s, from, to);
        if (s->fifo) {
                /* MPI keeps order per pair of ranks: never overtake the
                 * previous message on this link (equal times keep insertion
                 * order in the queue). */
                uint64_t *last = &s->link_last[(size_t)from * (size_t)s->o.nodes + to];

                if (ev.t < *last)
                        ev.t = *last;
                *last = ev.t;
        }
        if (len > 0) {
                ev.buf = bl_malloc(len);
                if (ev.buf == NULL) {
                        s->st.msgs_dropped++;
                        return;
                }
                memcpy(ev.buf, buf, len);
        }
        sim_push(s, &ev);
}

static int linked(const struct bl_sim *s, int a, int b);

void sim_node_send(struct bl_sim *s, int from, int to, struct sim_ev *ev, const void *buf,
                   size_t len)
{
        s->st.msgs_sent++;
        /* As in the MPI runtime (src/net/net.c), a partition is decided on
         * the sending side: a message sent across it is lost, one already in
         * flight when it starts is still delivered. */
        if (!linked(s, from, to) || sim_lost(s)) {
                s->st.msgs_dropped++;
                return;
        }
        push_msg(s, from, to, ev, buf, len);
        if (sim_duped(s)) {
                s->st.msgs_duplicated++;
                push_msg(s, from, to, ev, buf, len);
        }
}

static void env_send(void *ctx, int to, int type, const void *buf, size_t len)
{
        struct sim_inst *in = ctx;
        struct bl_sim *s = in->s;
        struct sim_ev ev = {
            .kind = SIM_EV_MSG, .a = in->shard, .b = in->member, .c = to, .d = type};

        if (to < 0 || to >= s->o.replicas || type < 0 || type >= s->o.kernel->n_msg_types) {
                sim_violate(s, "kernel %s: shard %d member %d sent type %d to member %d (of %d)",
                            s->o.kernel->name, in->shard, in->member, type, to, s->o.replicas);
                return;
        }
        sim_node_send(s, in->node, bl_sim_node_of(s, in->shard, to), &ev, buf, len);
}

static void env_dropped(void *ctx, uint64_t tag)
{
        struct sim_inst *in = ctx;

        if (in->s->txn != NULL)
                sim_txn_dropped(in->s, in, tag);
        else
                sim_client_dropped(in->s, in, tag);
}

static uint64_t draw(struct bl_sim *s, uint64_t lo, uint64_t hi)
{
        return hi > lo ? lo + bl_rng_below(&s->net_rng, hi - lo + 1) : lo;
}

/* The disk (struct sim_disk): the next sync covers everything appended. */
static void disk_sync(struct bl_sim *s, int node)
{
        struct sim_disk *d = &s->disk[node];
        struct sim_ev ev = {.kind = SIM_EV_DISK, .a = node, .b = 1, .y = d->incarnation};

        d->syncing = 1;
        d->target = d->written;
        ev.x = d->target;
        ev.t = s->now + draw(s, s->o.disk_sync_min_ns, s->o.disk_sync_max_ns);
        s->st.syncs++;
        sim_push(s, &ev);
}

static void disk_event(struct bl_sim *s, const struct sim_ev *ev)
{
        struct sim_disk *d = &s->disk[ev->a];

        if (ev->y != d->incarnation)
                return; /* issued before a crash */
        if (ev->b == 0) {
                if (ev->x > d->written)
                        d->written = ev->x;
        } else {
                d->synced = ev->x;
                d->syncing = 0;
                for (int sh = 0; sh < s->o.shards; sh++) {
                        struct sim_inst *in = sim_inst(s, ev->a, sh);

                        if (in == NULL || in->k == NULL || in->persisted <= in->durable)
                                continue;
                        in->durable = in->persisted < d->synced ? in->persisted : d->synced;
                        if (s->o.kernel->durable != NULL)
                                s->o.kernel->durable(in->k, in->durable);
                }
                if (s->txn != NULL)
                        sim_txn_durable(s, ev->a, d->synced);
        }
        if (!d->syncing && d->written > d->synced)
                disk_sync(s, ev->a);
}

/* Append a record to the node's disk; it is durable once a sync that starts
 * after its append completed has completed (never from inside this call). */
uint64_t sim_disk_append(struct bl_sim *s, int node, struct bl_memlog *log, uint64_t *persisted,
                         int type, const void *buf, size_t len)
{
        struct sim_disk *d = &s->disk[node];
        struct sim_ev ev = {.kind = SIM_EV_DISK, .a = node, .b = 0, .y = d->incarnation};

        if (bl_memlog_append(log, ++s->wal_seq, type, buf, len) != 0) {
                sim_violate(s, "sim: out of memory persisting a record");
                return 0;
        }
        *persisted = s->wal_seq;
        s->st.records++;
        ev.x = s->wal_seq;
        ev.t = s->now + draw(s, s->o.disk_append_min_ns, s->o.disk_append_max_ns);
        if (ev.t < d->last_append_t)
                ev.t = d->last_append_t;
        d->last_append_t = ev.t;
        sim_push(s, &ev);
        return s->wal_seq;
}

static uint64_t env_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct sim_inst *in = ctx;

        return sim_disk_append(in->s, in->node, &in->log, &in->persisted, type, buf, len);
}

static void env_compact(void *ctx, uint64_t seq)
{
        bl_memlog_compact(&((struct sim_inst *)ctx)->log, seq);
}

static void env_apply(void *ctx, const void *cmd, size_t len, uint64_t index, uint64_t tag)
{
        struct sim_inst *in = ctx;
        struct bl_sim *s = in->s;
        struct bl_cmd c;
        struct bl_result res = {0};
        int rc;

        s->st.applies++;
        if (s->txn != NULL) {
                sim_txn_apply(s, in, cmd, len, index, tag);
                return;
        }
        if (bl_cmd_decode(&c, cmd, len) != 0) {
                sim_violate(s, "shard %d node %d: apply of a malformed command (%zu bytes)",
                            in->shard, in->node, len);
                return;
        }
        rc = bl_kv_apply(in->kv, &c, &res);
        if (rc == BL_ENOMEM) {
                sim_violate(s, "shard %d node %d: out of memory applying a command", in->shard,
                            in->node);
                return;
        }
        sim_record_digest(s, in);
        (void)index;
        if (tag != 0)
                sim_client_reply(s, in, &c, &res);
}

static int env_snapshot(void *ctx, void **buf, size_t *len)
{
        struct sim_inst *in = ctx;

        if (in->txs != NULL)
                return sim_txn_snapshot(in, buf, len);
        return bl_kv_snapshot(in->kv, buf, len);
}

static int env_restore(void *ctx, const void *buf, size_t len)
{
        struct sim_inst *in = ctx;
        int rc;

        if (in->txs != NULL)
                rc = sim_txn_restore(in, buf, len);
        else
                rc = buf == NULL ? bl_kv_reset(in->kv) : bl_kv_restore(in->kv, buf, len);

        if (rc == 0)
                sim_record_digest(in->s, in);
        return rc;
}

static void env_event(void *ctx, int type, int64_t a, int64_t b)
{
        struct sim_inst *in = ctx;
        struct bl_sim *s = in->s;

        (void)b;
        if (type >= 0 && type < BL_EV__COUNT)
                s->ev_counts[type]++;
        if (type == BL_EV_LEADER)
                record_leader(s, in, a);
}

/* ---- creation ---- */

void bl_sim_opts_default(struct bl_sim_opts *o)
{
        memset(o, 0, sizeof(*o));
        o->nodes = 3;
        o->shards = 1;
        o->replicas = 0;
        o->seed = 1;
        o->lat_min_ns = 50000;
        o->lat_max_ns = 500000;
        o->clients = 3;
        o->keys = 5;
        o->records = 2;
        o->op_mask = (1u << BL_OP__COUNT) - 1;
        o->links = BL_SIM_LINKS_MIXED;
        o->client_timeout_ns = 50000000;
        o->client_backoff_ns = 2000000;
        o->tick_ns = 0;
        o->record_history = 1;
        o->fault_mask = BL_SIM_F_ALL;
}

static int check_opts(const struct bl_sim_opts *o, struct bl_errbuf *eb)
{
        if (o->kernel == NULL)
                return bl_errf(eb, BL_EINVAL, "sim: no kernel given");
        if (o->nodes < 1 || o->nodes > 4096)
                return bl_errf(eb, BL_EINVAL, "sim: nodes = %d, want 1..4096", o->nodes);
        if (o->shards < 1 || o->shards > 65535)
                return bl_errf(eb, BL_EINVAL, "sim: shards = %d, want 1..65535", o->shards);
        if (o->replicas < 0 || o->replicas > o->nodes)
                return bl_errf(eb, BL_EINVAL, "sim: replicas = %d, want 0 (all nodes) or 1..%d",
                               o->replicas, o->nodes);
        if (o->lat_min_ns < 1 || o->lat_max_ns < o->lat_min_ns)
                return bl_errf(eb, BL_EINVAL, "sim: latency %llu..%llu ns, want 1 <= min <= max",
                               (unsigned long long)o->lat_min_ns,
                               (unsigned long long)o->lat_max_ns);
        if (!(o->drop >= 0 && o->drop < 1) || !(o->dup >= 0 && o->dup < 1))
                return bl_errf(eb, BL_EINVAL, "sim: drop %g / dup %g, want [0, 1)", o->drop,
                               o->dup);
        if (o->clients < 0 || o->clients > (1 << 24))
                return bl_errf(eb, BL_EINVAL, "sim: clients = %d, want 0..%d", o->clients, 1 << 24);
        if (o->keys < 1)
                return bl_errf(eb, BL_EINVAL, "sim: keys must be >= 1");
        if ((o->op_mask & ((1u << BL_OP__COUNT) - 1)) == 0)
                return bl_errf(eb, BL_EINVAL, "sim: op_mask 0x%x selects no operation", o->op_mask);
        if (o->client_timeout_ns < 1)
                return bl_errf(eb, BL_EINVAL, "sim: client_timeout_ns must be >= 1");
        if (o->disk_append_max_ns < o->disk_append_min_ns ||
            o->disk_sync_max_ns < o->disk_sync_min_ns)
                return bl_errf(eb, BL_EINVAL,
                               "sim: disk append %llu..%llu ns, sync %llu..%llu ns: want min <= "
                               "max",
                               (unsigned long long)o->disk_append_min_ns,
                               (unsigned long long)o->disk_append_max_ns,
                               (unsigned long long)o->disk_sync_min_ns,
                               (unsigned long long)o->disk_sync_max_ns);
        if (o->links < BL_SIM_LINKS_REORDER || o->links > BL_SIM_LINKS_MIXED)
                return bl_errf(
                    eb, BL_EINVAL, "sim: links = %d, want %d (reorder), %d (fifo) or %d (mixed)",
                    o->links, BL_SIM_LINKS_REORDER, BL_SIM_LINKS_FIFO, BL_SIM_LINKS_MIXED);
        if (o->links != BL_SIM_LINKS_REORDER && o->nodes > 1024)
                return bl_errf(eb, BL_EINVAL,
                               "sim: FIFO links keep a nodes x nodes table; nodes = %d, want "
                               "<= 1024 or links = reorder",
                               o->nodes);
        return 0;
}

int sim_inst_start(struct bl_sim *s, struct sim_inst *in)
{
        struct bl_group g = {.shard = in->shard, .self = in->member, .nmembers = s->o.replicas};
        struct bl_env env = {
            .ctx = in,
            .now = env_now,
            .random = env_random,
            .send = env_send,
            .apply = env_apply,
            .dropped = env_dropped,
            .snapshot = env_snapshot,
            .restore = env_restore,
            .event = env_event,
            .persist = env_persist,
            .compact = env_compact,
        };

        in->k = s->o.kernel->create(&env, &g, &s->cfg);
        if (in->k == NULL)
                return sim_violate(s, "sim: kernel %s: create failed for shard %d member %d",
                                   s->o.kernel->name, in->shard, in->member);
        for (size_t i = 0; s->o.kernel->replay != NULL && i < in->log.n; i++) {
                const struct bl_memrec *rec = bl_memlog_at(&in->log, i);

                if (s->o.kernel->replay(in->k, rec->seq, rec->type, rec->buf, rec->len) != 0)
                        return sim_violate(s,
                                           "sim: kernel %s: shard %d member %d refused its own "
                                           "record %llu (type %d) on recovery",
                                           s->o.kernel->name, in->shard, in->member,
                                           (unsigned long long)rec->seq, rec->type);
        }
        if (s->o.kernel->start != NULL)
                s->o.kernel->start(in->k);
        return 0;
}

static int create_instances(struct bl_sim *s, struct bl_errbuf *eb)
{
        size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;

        s->inst = bl_calloc(n, sizeof(*s->inst));
        if (s->inst == NULL)
                return bl_errf(eb, BL_ENOMEM, "sim: out of memory for %zu instances", n);
        for (int sh = 0; sh < s->o.shards; sh++) {
                for (int m = 0; m < s->o.replicas; m++) {
                        struct sim_inst *in = &s->inst[(size_t)sh * (size_t)s->o.replicas + m];
                        in->s = s;
                        in->shard = sh;
                        in->member = m;
                        in->node = bl_sim_node_of(s, sh, m);
                        bl_rng_seed(&in->rng, s->o.seed,
                                    0x1000000ULL + (uint64_t)sh * 4096 + (uint64_t)m);
                        if (s->txn != NULL) {
                                if (sim_txn_store_create(s, in) != 0)
                                        return bl_errf(eb, BL_ENOMEM,
                                                       "sim: out of memory for the transaction "
                                                       "store of shard %d member %d",
                                                       sh, m);
                        } else {
                                in->kv = bl_kv_create(sh, s->o.shards, s->o.records);
                        }
                        if (in->kv == NULL && in->txs == NULL)
                                return bl_errf(eb, BL_ENOMEM,
                                               "sim: out of memory for the store "
                                               "of shard %d member %d",
                                               sh, m);
                        if (sim_inst_start(s, in) != 0)
                                return bl_errf(eb, BL_ENOMEM, "%s", s->violation.msg);
                }
        }
        return 0;
}

static int schedule_ticks(struct bl_sim *s)
{
        for (int node = 0; node < s->o.nodes; node++) {
                struct sim_ev ev = {.kind = SIM_EV_TICK, .a = node};

                ev.t = bl_rng_below(&s->net_rng, s->tick_ns);
                sim_push(s, &ev);
        }
        return s->violated ? BL_ENOMEM : 0;
}

struct bl_sim *bl_sim_create(const struct bl_sim_opts *o, struct bl_errbuf *eb)
{
        struct bl_sim *s;
        int rc;

        if (o == NULL) {
                bl_errf(eb, BL_EINVAL, "sim: no options");
                return NULL;
        }
        if (check_opts(o, eb) != 0)
                return NULL;
        s = bl_calloc(1, sizeof(*s));
        if (s == NULL) {
                bl_errf(eb, BL_ENOMEM, "sim: out of memory");
                return NULL;
        }
        s->o = *o;
        if (s->o.replicas == 0)
                s->o.replicas = s->o.nodes;
        if (o->cfg != NULL)
                s->cfg = *o->cfg;
        else
                bl_config_defaults(&s->cfg);
        s->o.cfg = &s->cfg;
        s->tick_ns = o->tick_ns;
        if (s->tick_ns == 0)
                s->tick_ns = s->cfg.cluster.tick_us > 0 ? (uint64_t)s->cfg.cluster.tick_us * 1000
                                                        : DEFAULT_TICK_NS;
        s->drop = o->drop;
        s->dup = o->dup;
        bl_rng_seed(&s->net_rng, o->seed, 1);
        bl_rng_seed(&s->client_rng, o->seed, 2);
        bl_history_init(&s->hist);
        s->crashed = bl_calloc((size_t)s->o.nodes, sizeof(int));
        s->disk = bl_calloc((size_t)s->o.nodes, sizeof(*s->disk));
        s->side = bl_calloc((size_t)s->o.nodes, sizeof(int));
        s->digests = bl_calloc((size_t)s->o.shards, sizeof(*s->digests));
        s->view = bl_calloc(1, sizeof(*s->view));
        if (s->crashed == NULL || s->disk == NULL || s->side == NULL || s->digests == NULL ||
            s->view == NULL) {
                bl_errf(eb, BL_ENOMEM, "sim: out of memory");
                goto fail;
        }
        bl_history_init(s->view);
        /* Mixed: each seed draws its own link model, so a series of seeds
         * covers both. */
        s->fifo = o->links == BL_SIM_LINKS_FIFO ||
                  (o->links == BL_SIM_LINKS_MIXED && (bl_mix64(o->seed ^ 0xf1f0ULL) & 1));
        if (s->fifo) {
                s->link_last = bl_calloc((size_t)s->o.nodes * (size_t)s->o.nodes, sizeof(uint64_t));
                if (s->link_last == NULL) {
                        bl_errf(eb, BL_ENOMEM, "sim: out of memory for the link table");
                        goto fail;
                }
        }
        if (s->o.commit != BL_SIM_COMMIT_OFF && sim_txn_init(s, eb) != 0)
                goto fail;
        rc = create_instances(s, eb);
        if (rc != 0)
                goto fail;
        if (s->txn != NULL) {
                if (sim_txn_start(s, eb) != 0)
                        goto fail;
        } else if (sim_clients_init(s) != 0) {
                bl_errf(eb, BL_ENOMEM, "sim: out of memory for %d clients", s->o.clients);
                goto fail;
        }
        if (schedule_ticks(s) != 0) {
                bl_errf(eb, BL_ENOMEM, "sim: out of memory for the event queue");
                goto fail;
        }
        return s;
fail:
        bl_sim_destroy(s);
        return NULL;
}

void bl_sim_destroy(struct bl_sim *s)
{
        if (s == NULL)
                return;
        for (size_t i = 0; i < s->heap_n; i++)
                bl_free(s->heap[i].buf);
        bl_free(s->heap);
        if (s->inst != NULL) {
                size_t n = (size_t)s->o.shards * (size_t)s->o.replicas;

                for (size_t i = 0; i < n; i++) {
                        if (s->inst[i].k != NULL)
                                s->o.kernel->destroy(s->inst[i].k);
                        bl_kv_destroy(s->inst[i].kv);
                        bl_txs_destroy(s->inst[i].txs);
                        bl_memlog_free(&s->inst[i].log);
                }
                bl_free(s->inst);
        }
        if (s->digests != NULL) {
                for (int i = 0; i < s->o.shards; i++) {
                        bl_free(s->digests[i].dig);
                        bl_free(s->digests[i].who);
                }
                bl_free(s->digests);
        }
        sim_clients_free(s);
        sim_txn_free(s);
        bl_history_free(&s->hist);
        if (s->view != NULL) {
                bl_history_free(s->view);
                bl_free(s->view);
        }
        bl_free(s->terms);
        bl_free(s->link_last);
        bl_free(s->crashed);
        bl_free(s->disk);
        bl_free(s->side);
        bl_free(s);
}

/* ---- running ---- */

static int linked(const struct bl_sim *s, int a, int b)
{
        return !s->partitioned || s->side[a] == s->side[b];
}

/* As in the MPI runtime, a message already sent is delivered even if its
 * sender crashed meanwhile (or crashed and recovered) or a partition started
 * since; a message that arrives while its receiver is down is lost. */
static void deliver_msg(struct bl_sim *s, struct sim_ev *ev)
{
        int to = bl_sim_node_of(s, ev->a, ev->c);
        struct sim_inst *in = &s->inst[(size_t)ev->a * (size_t)s->o.replicas + (size_t)ev->c];

        if (s->crashed[to]) {
                s->st.msgs_dropped++;
                return;
        }
        s->st.msgs_delivered++;
        if (s->o.kernel->recv(in->k, ev->b, ev->d, ev->buf, ev->len) == BL_EPROTO)
                s->st.msgs_malformed++;
}

static void tick_node(struct bl_sim *s, struct sim_ev *ev)
{
        int node = ev->a;
        struct sim_ev next = {.kind = SIM_EV_TICK, .a = node, .t = s->now + s->tick_ns};

        sim_push(s, &next);
        if (s->crashed[node])
                return;
        s->st.ticks++;
        for (int sh = 0; sh < s->o.shards; sh++) {
                struct sim_inst *in = sim_inst(s, node, sh);

                if (in != NULL)
                        s->o.kernel->tick(in->k);
        }
        if (s->txn != NULL)
                sim_txn_tick(s, node);
}

int bl_sim_step(struct bl_sim *s)
{
        struct sim_ev ev;

        if (s->heap_n == 0)
                return 0;
        heap_pop(s, &ev);
        if (ev.t > s->now)
                s->now = ev.t;
        s->st.events++;
        switch (ev.kind) {
        case SIM_EV_MSG:
                deliver_msg(s, &ev);
                break;
        case SIM_EV_TICK:
                tick_node(s, &ev);
                break;
        case SIM_EV_CREQ:
                sim_client_request(s, &ev);
                break;
        case SIM_EV_DISK:
                disk_event(s, &ev);
                break;
        case SIM_EV_TPC:
        case SIM_EV_TREQ:
        case SIM_EV_TREPLY:
        case SIM_EV_TDEFER:
                sim_txn_event(s, &ev);
                break;
        default:
                sim_client_event(s, &ev);
                break;
        }
        bl_free(ev.buf);
        if (s->o.invariant != NULL && !s->violated) {
                struct bl_errbuf eb = {{0}};

                if (s->o.invariant(s->o.invariant_arg, s, &eb) != 0)
                        sim_violate(s, "invariant (t=%llu ns, event %llu): %s",
                                    (unsigned long long)s->now, (unsigned long long)s->st.events,
                                    eb.msg[0] ? eb.msg : "failed");
        }
        return 1;
}

void bl_sim_run_for(struct bl_sim *s, uint64_t ns)
{
        uint64_t end = s->now + ns;

        while (!s->violated && s->heap_n > 0 && s->heap[0].t <= end)
                bl_sim_step(s);
        if (!s->violated)
                s->now = end;
}

uint64_t bl_sim_now(const struct bl_sim *s)
{
        return s->now;
}

uint64_t bl_sim_events(const struct bl_sim *s)
{
        return s->st.events;
}

void bl_sim_get_stats(const struct bl_sim *s, struct bl_sim_stats *out)
{
        *out = s->st;
        out->completed = bl_sim_completed(s);
        if (s->txn != NULL)
                out->txn_blocked_max_ns = sim_txn_blocked_max(s);
        memcpy(out->kernel_events, s->ev_counts, sizeof(out->kernel_events));
}

uint64_t bl_sim_event_count(const struct bl_sim *s, int type)
{
        return type >= 0 && type < BL_EV__COUNT ? s->ev_counts[type] : 0;
}

int bl_sim_violation(const struct bl_sim *s, struct bl_errbuf *eb)
{
        if (!s->violated)
                return 0;
        return bl_errf(eb, BL_ECHECK, "%s", s->violation.msg);
}

/* ---- faults ---- */

void bl_sim_crash(struct bl_sim *s, int node)
{
        if (node < 0 || node >= s->o.nodes || s->crashed[node])
                return;
        s->crashed[node] = 1;
        s->st.crashes++;
        s->disk[node].incarnation++;
        s->disk[node].syncing = 0;
        s->disk[node].written = s->disk[node].synced;
        s->disk[node].last_append_t = 0;
        for (int sh = 0; sh < s->o.shards; sh++) {
                struct sim_inst *in = sim_inst(s, node, sh);

                if (in == NULL)
                        continue;
                if (s->o.kernel->replay == NULL) {
                        s->o.kernel->crash(in->k); /* legacy kernel */
                        continue;
                }
                /* The instance and its state machine are gone; so is every
                 * record the disk had not synced. */
                for (size_t i = in->log.n; i > 0; i--) {
                        if (bl_memlog_at(&in->log, i - 1)->seq <= s->disk[node].synced)
                                break;
                        s->st.records_lost++;
                }
                bl_memlog_truncate_after(&in->log, s->disk[node].synced);
                in->persisted = in->log.n > 0 ? bl_memlog_at(&in->log, in->log.n - 1)->seq : 0;
                if (in->durable > in->persisted)
                        in->durable = in->persisted;
                s->o.kernel->destroy(in->k);
                in->k = NULL;
                if (in->txs != NULL) {
                        bl_txs_destroy(in->txs);
                        in->txs = NULL;
                        if (sim_txn_store_create(s, in) != 0)
                                sim_violate(s, "sim: out of memory resetting a store");
                } else if (bl_kv_reset(in->kv) != 0) {
                        sim_violate(s, "sim: out of memory resetting a store");
                }
        }
        if (s->txn != NULL)
                sim_txn_crash(s, node);
}

void bl_sim_recover(struct bl_sim *s, int node)
{
        if (node < 0 || node >= s->o.nodes || !s->crashed[node])
                return;
        s->crashed[node] = 0;
        s->st.recoveries++;
        if (s->txn != NULL)
                sim_txn_recover_begin(s, node);
        for (int sh = 0; sh < s->o.shards; sh++) {
                struct sim_inst *in = sim_inst(s, node, sh);

                if (in == NULL)
                        continue;
                if (s->o.kernel->replay == NULL) {
                        s->o.kernel->recover(in->k); /* legacy kernel */
                        continue;
                }
                if (sim_inst_start(s, in) == 0)
                        sim_record_digest(s, in);
        }
        if (s->txn != NULL)
                sim_txn_recover_end(s, node);
}

int bl_sim_crashed(const struct bl_sim *s, int node)
{
        return node >= 0 && node < s->o.nodes && s->crashed[node];
}

void bl_sim_partition(struct bl_sim *s, const int *side)
{
        memcpy(s->side, side, (size_t)s->o.nodes * sizeof(int));
        s->partitioned = 1;
        s->st.partitions++;
}

void bl_sim_heal(struct bl_sim *s)
{
        s->partitioned = 0;
}

static double clamp_prob(double p)
{
        if (!(p > 0))
                return 0;
        return p > 0.99 ? 0.99 : p;
}

void bl_sim_set_link_faults(struct bl_sim *s, double drop, double dup)
{
        s->drop = clamp_prob(drop);
        s->dup = clamp_prob(dup);
}

int bl_sim_set_delay(struct bl_sim *s, int from, int to, uint64_t delay_ns, uint64_t jitter_ns)
{
        int i;

        if (from < -1 || from >= s->o.nodes || to < -1 || to >= s->o.nodes)
                return BL_EINVAL;
        if (jitter_ns > delay_ns)
                jitter_ns = delay_ns;
        for (i = 0; i < s->n_delays; i++)
                if (s->delays[i].from == from && s->delays[i].to == to)
                        break;
        if (delay_ns == 0) {
                if (i < s->n_delays)
                        s->delays[i] = s->delays[--s->n_delays];
                return 0;
        }
        if (i == s->n_delays) {
                if (s->n_delays == SIM_MAX_DELAYS)
                        return BL_EBUSY;
                s->n_delays++;
        }
        s->delays[i] = (struct sim_delay){from, to, delay_ns, jitter_ns};
        return 0;
}

void bl_sim_clear_delays(struct bl_sim *s)
{
        s->n_delays = 0;
}

int bl_sim_fifo(const struct bl_sim *s)
{
        return s->fifo;
}

int bl_sim_leader(const struct bl_sim *s, int shard)
{
        int best = -1;
        uint64_t best_term = 0;

        if (shard < 0 || shard >= s->o.shards)
                return -1;
        for (int m = 0; m < s->o.replicas; m++) {
                const struct sim_inst *in = &s->inst[(size_t)shard * (size_t)s->o.replicas + m];
                struct bl_kernel_stats ks = {0};

                if (s->crashed[in->node] || s->o.kernel->leader(in->k) != m)
                        continue;
                if (s->o.kernel->stats != NULL)
                        s->o.kernel->stats(in->k, &ks);
                if (best < 0 || ks.term > best_term || (ks.term == best_term && in->node < best)) {
                        best = in->node;
                        best_term = ks.term;
                }
        }
        return best;
}
