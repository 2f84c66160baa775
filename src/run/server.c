/*
 * Replicas hosted by this rank: kernel instances, their environment, and
 * the handling of client requests and protocol messages addressed to them.
 * A frame's group is the shard id; a rank hosts at most one replica of a
 * shard, so (shard) finds the replica and the sender's rank finds the
 * member it came from.
 *
 * Proposals: a client's request is submitted with tag = client id + 1, and
 * the table rt->pending remembers, per client, which request this rank's
 * replica answers for, so that a dropped(tag) (the replica lost leadership)
 * turns into a redirect at once instead of a client time-out.
 *
 * Persistence: persist() appends to the rank's write-ahead log (see
 * storage.c); bl_rt_storage_step() reports durability to the kernel from the
 * loop, never from inside the kernel call. A crash destroys the instance and
 * its store; recovery creates new ones and replays the records the log
 * read back.
 */
#include <string.h>

#include "common/alloc.h"
#include "run/clock.h"
#include "run/proto.h"
#include "run/rt.h"
#include "run/txn.h"
#include "topo/placement.h"

static uint64_t env_now(void *ctx)
{
        (void)ctx;
        return bl_now_ns();
}

static uint64_t env_random(void *ctx)
{
        struct bl_replica *r = ctx;

        return bl_rng_next(&r->rng);
}

static void env_send(void *ctx, int to, int type, const void *buf, size_t len)
{
        struct bl_replica *r = ctx;
        struct bl_rt *rt = r->rt;
        int rc;

        if (r->crashed || rt->quiesced || to < 0 || to >= rt->cfg->cluster.replicas)
                return;
        rc = bl_net_send(rt->net, r->ranks[to], BL_MSG_KERNEL, type, (uint32_t)r->shard, buf, len);
        if (rc != 0)
                bl_rt_fail(rt, rc, "sending a protocol message");
}

static void send_reply(struct bl_rt *rt, int dest, const struct bl_reply *rep)
{
        size_t n = bl_reply_size(rep);
        int rc = bl_rt_buf(rt, n);

        if (rc == 0)
                rc = bl_net_send(rt->net, dest, BL_MSG_REPLY, 0, 0, rt->buf,
                                 bl_reply_encode(rep, rt->buf, rt->bufcap));
        if (rc != 0)
                bl_rt_fail(rt, rc, "sending a reply");
}

static void pending_set(struct bl_rt *rt, const struct bl_cmd *c, int shard)
{
        if (c->client >= rt->npending) {
                size_t n = rt->npending == 0 ? 64 : rt->npending;
                struct bl_pending *p;

                while (n <= c->client)
                        n *= 2;
                p = bl_realloc(rt->pending, n * sizeof(*p));
                if (p == NULL) {
                        bl_rt_fail(rt, BL_ENOMEM, "growing the table of proposals");
                        return;
                }
                memset(p + rt->npending, 0, (n - rt->npending) * sizeof(*p));
                rt->pending = p;
                rt->npending = n;
        }
        rt->pending[c->client] =
            (struct bl_pending){.seq = c->seq, .origin = c->origin, .shard = shard};
}

static struct bl_pending *pending_of(struct bl_rt *rt, uint64_t tag)
{
        if (tag == 0 || tag - 1 >= rt->npending || rt->pending[tag - 1].seq == 0)
                return NULL;
        return &rt->pending[tag - 1];
}

static void redirect(struct bl_rt *rt, const struct bl_cmd *c, int leader_rank);

static void env_dropped(void *ctx, uint64_t tag)
{
        struct bl_replica *r = ctx;
        struct bl_rt *rt = r->rt;
        struct bl_pending *p = pending_of(rt, tag);
        struct bl_cmd c = {0};
        int l;

        if (rt->txn != NULL) {
                bl_rt_txn_dropped(r, tag);
                return;
        }
        if (p == NULL || p->shard != r->shard || r->crashed)
                return;
        c.client = (uint32_t)(tag - 1);
        c.seq = p->seq;
        c.origin = p->origin;
        p->seq = 0;
        l = rt->kern->leader(r->k);
        redirect(rt, &c, l >= 0 && l != r->member ? r->ranks[l] : -1);
}

static uint64_t env_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct bl_replica *r = ctx;

        return bl_rt_storage_persist(r->rt, r, type, buf, len);
}

static void env_compact(void *ctx, uint64_t seq)
{
        struct bl_replica *r = ctx;

        bl_wal_compact(r->rt->wal, (uint32_t)r->shard, seq);
}

static void env_apply(void *ctx, const void *buf, size_t len, uint64_t index, uint64_t tag)
{
        struct bl_replica *r = ctx;
        struct bl_rt *rt = r->rt;
        struct bl_cmd c;
        struct bl_result res = {0};
        int rc;

        if (rt->txn != NULL) {
                bl_rt_txn_apply(r, buf, len, index, tag);
                return;
        }
        if (bl_cmd_decode(&c, buf, len) != 0) {
                /* Commands are encoded by this runtime; a bad one in a log
                 * means a kernel corrupted it. */
                bl_rt_fail(rt, BL_EPROTO, "applying a malformed command from the kernel");
                return;
        }
        rc = bl_kv_apply(r->kv, &c, &res);
        if (rc != 0) {
                bl_rt_fail(rt, rc, "applying a command to the store");
                return;
        }
        (void)index;
        if (tag == 0 || (int)c.origin >= rt->size)
                return;
        if (tag - 1 < rt->npending && rt->pending[tag - 1].seq == c.seq)
                rt->pending[tag - 1].seq = 0;
        struct bl_reply rep = {
            .client = c.client,
            .seq = c.seq,
            .status = res.status,
            .leader = rt->rank,
            .value = res.value,
            .pad = bl_op_readonly(c.op) && res.status == BL_ST_OK
                       ? (uint32_t)rt->cfg->store.value_size
                       : 0,
        };
        send_reply(rt, (int)c.origin, &rep);
}

static int env_snapshot(void *ctx, void **buf, size_t *len)
{
        struct bl_replica *r = ctx;

        if (r->txs != NULL)
                return bl_txs_snapshot(r->txs, buf, len);
        return bl_kv_snapshot(r->kv, buf, len);
}

static int env_restore(void *ctx, const void *buf, size_t len)
{
        struct bl_replica *r = ctx;

        if (r->txs != NULL) {
                if (buf == NULL)
                        return bl_rt_txn_store_reset(r->rt, r);
                /* The snapshot's index is the kernel's: unknown here until
                 * the next apply (the digest verdict skips the replica). */
                r->txs_index = UINT64_MAX;
                return bl_txs_restore(r->txs, buf, len);
        }
        if (buf == NULL)
                return bl_kv_reset(r->kv);
        return bl_kv_restore(r->kv, buf, len);
}

static void env_event(void *ctx, int type, int64_t a, int64_t b)
{
        struct bl_replica *r = ctx;

        bl_rt_event(r->rt, type, a, b);
}

/* A new kernel instance and state machine for r, fed the records the
 * rank's log read back (none on the first start), then started. */
static int replica_start(struct bl_rt *rt, struct bl_replica *r)
{
        const struct bl_config *cfg = rt->cfg;
        struct bl_env env = {
            .ctx = r,
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
        struct bl_group g = {
            .shard = r->shard, .self = r->member, .nmembers = cfg->cluster.replicas};
        int rc;

        if (rt->txn != NULL) {
                if (r->txs == NULL && bl_rt_txn_store_reset(rt, r) != 0)
                        return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for shard %d's store",
                                       r->shard);
        } else if (r->kv == NULL) {
                r->kv = bl_kv_create(r->shard, cfg->cluster.shards, cfg->store.records);
        }
        if (rt->txn == NULL && r->kv == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory preloading shard %d", r->shard);
        r->k = rt->kern->create(&env, &g, cfg);
        if (r->k == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory creating kernel %s for shard %d",
                               rt->kern->name, r->shard);
        if ((rc = bl_rt_storage_replay(rt, r)) != 0)
                return rc;
        r->durable = r->persisted;
        if (rt->kern->start != NULL)
                rt->kern->start(r->k);
        return 0;
}

static void replica_stop(struct bl_rt *rt, struct bl_replica *r)
{
        if (r->k != NULL)
                rt->kern->destroy(r->k);
        r->k = NULL;
        bl_kv_destroy(r->kv);
        r->kv = NULL;
        bl_txs_destroy(r->txs);
        r->txs = NULL;
}

void bl_rt_replica_crash(struct bl_rt *rt, struct bl_replica *r)
{
        r->crashed = 1;
        for (size_t c = 0; c < rt->npending; c++)
                if (rt->pending[c].shard == r->shard)
                        rt->pending[c].seq = 0;
        if (rt->kern->replay == NULL) {
                rt->kern->crash(r->k); /* legacy kernel: keeps its own state */
                return;
        }
        /* What was not durable is the log's to discard (bl_rt_storage_crash).
         * The state machine goes back to its initial state (so a replica
         * still down at the end reports what it holds: nothing applied). */
        rt->kern->destroy(r->k);
        r->k = NULL;
        if (rt->txn != NULL ? bl_rt_txn_store_reset(rt, r) != 0 : bl_kv_reset(r->kv) != 0)
                bl_rt_fail(rt, BL_ENOMEM, "resetting a crashed replica's store");
}

int bl_rt_replica_recover(struct bl_rt *rt, struct bl_replica *r)
{
        r->crashed = 0;
        if (rt->kern->replay == NULL) {
                rt->kern->recover(r->k);
                return 0;
        }
        return replica_start(rt, r);
}

int bl_rt_servers_create(struct bl_rt *rt)
{
        const struct bl_config *cfg = rt->cfg;
        int shards = cfg->cluster.shards, replicas = cfg->cluster.replicas;
        int rc;

        rt->place = bl_malloc(sizeof(int) * (size_t)shards * (size_t)replicas);
        rt->rep_of_shard = bl_malloc(sizeof(int) * (size_t)shards);
        rt->leader_rank = bl_malloc(sizeof(int) * (size_t)shards);
        if (!rt->place || !rt->rep_of_shard || !rt->leader_rank)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory placing replicas");
        rc = bl_place_replicas_topo(cfg, rt->nserver, rt->node_of_rank, rt->numa_of_rank, rt->place,
                                    &rt->eb);
        if (rc != 0)
                return rc;
        rt->nreps = 0;
        for (int s = 0; s < shards; s++) {
                rt->rep_of_shard[s] = -1;
                rt->leader_rank[s] = rt->place[s * replicas];
                for (int m = 0; m < replicas; m++)
                        if (rt->place[s * replicas + m] == rt->rank)
                                rt->nreps++;
        }
        rt->reps = bl_calloc((size_t)(rt->nreps > 0 ? rt->nreps : 1), sizeof(*rt->reps));
        if (rt->reps == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory creating replicas");
        int i = 0;
        for (int s = 0; s < shards; s++) {
                for (int m = 0; m < replicas; m++) {
                        if (rt->place[s * replicas + m] != rt->rank)
                                continue;
                        struct bl_replica *r = &rt->reps[i];
                        r->rt = rt;
                        r->shard = s;
                        r->member = m;
                        r->ranks = &rt->place[s * replicas];
                        bl_rng_seed(&r->rng, cfg->experiment.seed,
                                    0x4b45524eull << 32 | (uint64_t)(s * replicas + m));
                        if ((rc = replica_start(rt, r)) != 0)
                                return rc;
                        rt->rep_of_shard[s] = i++;
                }
        }
        return 0;
}

void bl_rt_servers_destroy(struct bl_rt *rt)
{
        for (int i = 0; rt->reps != NULL && i < rt->nreps; i++) {
                replica_stop(rt, &rt->reps[i]);
        }
        bl_free(rt->pending);
        rt->pending = NULL;
        rt->npending = 0;
        bl_free(rt->reps);
        bl_free(rt->place);
        bl_free(rt->rep_of_shard);
        bl_free(rt->leader_rank);
        rt->reps = NULL;
        rt->place = rt->rep_of_shard = rt->leader_rank = NULL;
}

static struct bl_replica *replica_of(struct bl_rt *rt, uint32_t shard)
{
        if (shard >= (uint32_t)rt->cfg->cluster.shards || rt->rep_of_shard[shard] < 0)
                return NULL;
        return &rt->reps[rt->rep_of_shard[shard]];
}

static void answer(struct bl_rt *rt, const struct bl_cmd *c, int status, int leader_rank)
{
        struct bl_reply rep = {
            .client = c->client,
            .seq = c->seq,
            .status = (uint8_t)status,
            .leader = leader_rank,
        };
        send_reply(rt, (int)c->origin, &rep);
}

static void redirect(struct bl_rt *rt, const struct bl_cmd *c, int leader_rank)
{
        answer(rt, c, BL_ST_REDIRECT, leader_rank);
}

void bl_rt_on_request(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_replica *r;
        struct bl_cmd c;
        int rc;

        if (bl_cmd_decode(&c, f->data, f->len) != 0 || (int)c.origin != f->src) {
                rt->malformed++;
                return;
        }
        if (rt->quiesced)
                return;
        r = replica_of(rt, f->group);
        if (r == NULL || bl_shard_of(c.key, rt->cfg->cluster.shards) != (int)f->group) {
                redirect(rt, &c, -1);
                return;
        }
        if (r->crashed)
                return; /* a crashed node answers nothing: the client times out */
        pending_set(rt, &c, r->shard);
        rc = rt->kern->submit(r->k, f->data, f->len, bl_op_readonly(c.op) ? BL_SUBMIT_READONLY : 0,
                              (uint64_t)c.client + 1);
        if (rc != 0 && c.client < rt->npending)
                rt->pending[c.client].seq = 0;
        if (rc == BL_ENOTLEADER) {
                int l = rt->kern->leader(r->k);
                redirect(rt, &c, l >= 0 && l != r->member ? r->ranks[l] : -1);
        } else if (rc == BL_EBUSY) {
                /* The leader is overloaded, not wrong: the client backs off
                 * and asks it again. */
                answer(rt, &c, BL_ST_BUSY, rt->rank);
        } else if (rc != 0) {
                bl_rt_fail(rt, rc, "submitting a command to the kernel");
        }
}

void bl_rt_on_kernel(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_replica *r = replica_of(rt, f->group);
        int from = -1;

        if (r == NULL) {
                rt->malformed++;
                return;
        }
        for (int m = 0; m < rt->cfg->cluster.replicas; m++)
                if (r->ranks[m] == f->src)
                        from = m;
        if (from < 0) {
                rt->malformed++;
                return;
        }
        if (r->crashed || rt->quiesced)
                return;
        if (rt->kern->recv(r->k, from, f->type, f->data, f->len) != 0)
                rt->malformed++;
}

void bl_rt_tick(struct bl_rt *rt)
{
        for (int i = 0; i < rt->nreps; i++)
                if (!rt->reps[i].crashed)
                        rt->kern->tick(rt->reps[i].k);
}

int bl_rt_leaders(const struct bl_rt *rt)
{
        int n = 0;

        for (int i = 0; i < rt->nreps; i++) {
                const struct bl_replica *r = &rt->reps[i];
                if (!r->crashed && rt->kern->leader(r->k) == r->member)
                        n++;
        }
        return n;
}
