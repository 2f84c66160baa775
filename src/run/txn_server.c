/*
 * The commit layer in the rank runtime (see run/txn.h): one struct bl_tpc
 * per rank, its environment, the stores of the replicas, and the routing of
 * commit-layer frames.
 *
 * Routing "the leader of shard s". A rank that hosts a replica of s asks its
 * kernel who leads; any other rank uses its belief (rt->leader_rank, set by
 * hints and client redirects). A frame for shard s that reaches a replica
 * which does not lead s is forwarded once to the leader its kernel knows,
 * and the sender gets a leader hint back; a frame that finds no leader is
 * dropped (the commit layer resends: PREPARE and DECIDE every retry_ms,
 * QUERY every query_ms). When the rank believed to lead s stays silent for
 * 3 x retry_ms while frames go to it, the belief moves to the next member
 * (a crashed leader's successor is found without a hint).
 *
 * Commit-layer frames (BL_MSG_COMMIT) carry u32 origin (the rank whose
 * commit layer sent it: replies go there) and u8 hops (forwards so far)
 * before the commit layer's own bytes.
 *
 * 2pc/none coordinators persist their decisions in the rank's log under
 * group BL_TXN_WAL_GROUP (client-only ranks get a log too); recovery
 * replays them into a new struct bl_tpc before it starts.
 */
#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "run/clock.h"
#include "run/txn.h"

#define BL_TXN_WAL_GROUP 0xfffffff0u
#define PREFIX           5 /* u32 origin, u8 hops */
#define SILENT_RETRIES   3

enum { EV_APPLIED, EV_VOTE, EV_DROPPED };

struct bl_txn_ev {
        int kind;
        int shard;
        uint64_t tag;
        struct bl_txs_cmd cmd; /* EV_APPLIED: decoded, ops owned */
        struct bl_txs_vote_msg v;
        struct bl_txs_read *reads; /* owned copy of v.reads */
};

static struct bl_replica *replica_of(struct bl_rt *rt, int shard)
{
        if (shard < 0 || shard >= rt->cfg->cluster.shards || rt->rep_of_shard[shard] < 0)
                return NULL;
        return &rt->reps[rt->rep_of_shard[shard]];
}

static int leads(const struct bl_rt *rt, const struct bl_replica *r)
{
        return r != NULL && !r->crashed && r->k != NULL && rt->kern->leader(r->k) == r->member;
}

void bl_rt_txn_send(struct bl_rt *rt, int dest, int kind, int type, uint32_t group, const void *buf,
                    size_t len)
{
        int rc;

        if (rt->quiesced || rt->crashed || dest < 0 || dest >= rt->size)
                return;
        rc = bl_net_send(rt->net, dest, kind, type, group, buf, len);
        if (rc != 0)
                bl_rt_fail(rt, rc, "sending a transaction frame");
}

/* ---- the deferred queue ---------------------------------------------- */

static void ev_free(struct bl_txn_ev *e)
{
        bl_txs_cmd_free(&e->cmd);
        bl_free(e->reads);
        e->reads = NULL;
}

/* Append e (its cmd ops are taken over; v.reads is copied). */
static void enqueue(struct bl_rt *rt, struct bl_txn_ev *e)
{
        struct bl_rt_txn *t = rt->txn;

        if (e->v.nreads > 0 && e->v.reads != NULL) {
                e->reads = bl_malloc(sizeof(*e->reads) * e->v.nreads);
                if (e->reads == NULL) {
                        ev_free(e);
                        bl_rt_fail(rt, BL_ENOMEM, "queueing a transaction vote");
                        return;
                }
                memcpy(e->reads, e->v.reads, sizeof(*e->reads) * e->v.nreads);
        }
        e->v.reads = e->reads;
        if (t->qlen == t->qcap) {
                size_t cap = t->qcap ? 2 * t->qcap : 64;
                struct bl_txn_ev *q = bl_realloc(t->q, cap * sizeof(*q));
                if (q == NULL) {
                        ev_free(e);
                        bl_rt_fail(rt, BL_ENOMEM, "queueing a transaction notification");
                        return;
                }
                t->q = q;
                t->qcap = cap;
        }
        t->q[t->qlen++] = *e;
}

static void queue_flush(struct bl_rt_txn *t)
{
        for (size_t i = t->qhead; i < t->qlen; i++)
                ev_free(&t->q[i]);
        t->qhead = t->qlen = 0;
}

void bl_rt_txn_drain(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;

        if (t == NULL || t->draining)
                return;
        t->draining = 1;
        while (t->qhead < t->qlen) {
                struct bl_txn_ev e = t->q[t->qhead++];

                e.v.reads = e.reads;
                if (t->tpc != NULL && !rt->crashed) {
                        if (e.kind == EV_APPLIED)
                                bl_tpc_applied(t->tpc, e.shard, &e.cmd, &e.v, e.tag);
                        else if (e.kind == EV_VOTE)
                                bl_tpc_vote_ready(t->tpc, e.shard, &e.v);
                        else
                                bl_tpc_dropped(t->tpc, e.shard, e.tag);
                }
                ev_free(&e);
        }
        t->qhead = t->qlen = 0;
        t->draining = 0;
}

/* ---- stores ------------------------------------------------------------ */

int bl_rt_txn_store_reset(struct bl_rt *rt, struct bl_replica *r)
{
        struct bl_rt_txn *t = rt->txn;

        bl_txs_destroy(r->txs);
        r->txs = bl_txs_create(r->shard, rt->cfg->cluster.shards, t->cc, t->initial);
        r->txs_index = 0;
        return r->txs != NULL ? 0 : BL_ENOMEM;
}

/* A participant leader learned a decision: the window it held prepared
 * locks (measured phase only; long ones become rows of /txn/blocking). */
static void block_window(struct bl_rt *rt, struct bl_replica *r, uint64_t txn)
{
        struct bl_rt_txn *t = rt->txn;
        struct bl_txs_info info;

        if (bl_txs_info(r->txs, txn, &info) != 0 || info.vote != BL_TXS_YES || info.vote_ns == 0 ||
            info.decide_ns < info.vote_ns || info.decide_ns < rt->t_measure)
                return;
        uint64_t w = info.decide_ns - info.vote_ns;
        bl_hist_record(&t->block, w);
        if (w <= (uint64_t)rt->cfg->txn.query_ms * 1000000ull)
                return;
        if (t->nblocks == t->capblocks) {
                size_t cap = t->capblocks ? 2 * t->capblocks : 16;
                struct bl_block_rec *b = bl_realloc(t->blocks, cap * sizeof(*b));
                if (b == NULL)
                        return; /* rows are a detail; the histogram has it */
                t->blocks = b;
                t->capblocks = cap;
        }
        t->blocks[t->nblocks++] = (struct bl_block_rec){
            .shard = r->shard,
            .rank = rt->rank,
            .txn = txn,
            .start_s = ((double)info.vote_ns - (double)rt->t_measure) / 1e9,
            .end_s = ((double)info.decide_ns - (double)rt->t_measure) / 1e9,
        };
}

void bl_rt_txn_apply(struct bl_replica *r, const void *buf, size_t len, uint64_t index,
                     uint64_t tag)
{
        struct bl_rt *rt = r->rt;
        struct bl_txn_ev e = {.kind = EV_APPLIED, .shard = r->shard, .tag = tag};
        struct bl_txs_vote_msg v;
        int rc;

        rc = bl_txs_cmd_decode(&e.cmd, buf, len);
        if (rc != 0) {
                bl_rt_fail(rt, rc == BL_ENOMEM ? rc : BL_EPROTO,
                           "applying a malformed transaction command from the kernel");
                return;
        }
        memset(&v, 0, sizeof(v));
        rc = bl_txs_apply(r->txs, buf, len, index, bl_now_ns(), &v);
        if (rc == BL_EINVAL) {
                /* Deterministic on every replica: a DECIDE that contradicts
                 * the first one ("first DECIDE wins"), or a PREPARE the
                 * store refuses. The commit layer reads what won. */
                rt->txn->einval_decides++;
                memset(&v, 0, sizeof(v));
                v.txn = e.cmd.txn;
        } else if (rc != 0) {
                bl_txs_cmd_free(&e.cmd);
                bl_rt_fail(rt, rc, "applying a transaction command to the store");
                return;
        }
        r->txs_index = index;
        if (rc == 0 && e.cmd.type == BL_TXS_CMD_DECIDE && leads(rt, r))
                block_window(rt, r, e.cmd.txn);
        e.v = v;
        enqueue(rt, &e);
        while (bl_txs_next_vote(r->txs, &v)) {
                struct bl_txn_ev ve = {.kind = EV_VOTE, .shard = r->shard, .v = v};
                enqueue(rt, &ve);
        }
}

void bl_rt_txn_dropped(struct bl_replica *r, uint64_t tag)
{
        struct bl_txn_ev e = {.kind = EV_DROPPED, .shard = r->shard, .tag = tag};

        if (tag != 0)
                enqueue(r->rt, &e);
}

/* ---- routing ------------------------------------------------------------ */

int bl_rt_txn_leader_of(struct bl_rt *rt, int shard)
{
        struct bl_replica *r = replica_of(rt, shard);

        if (r != NULL && !r->crashed && r->k != NULL) {
                int l = rt->kern->leader(r->k);
                if (l >= 0)
                        return r->ranks[l];
        }
        return rt->leader_rank[shard];
}

/* Pick the destination for shard: the believed leader, moved on to the next
 * member when it stayed silent (see the file comment). */
static int route(struct bl_rt *rt, int shard, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;
        int dest = bl_rt_txn_leader_of(rt, shard), replicas = rt->cfg->cluster.replicas;
        uint64_t limit = (uint64_t)SILENT_RETRIES * (uint64_t)rt->cfg->txn.retry_ms * 1000000ull;

        if (replicas <= 1 || dest == rt->rank || replica_of(rt, shard) != NULL)
                return dest;
        if (t->silent_since[shard] == 0 || t->heard[dest] >= t->silent_since[shard]) {
                t->silent_since[shard] = now;
        } else if (now - t->silent_since[shard] > limit) {
                int m = 0;
                for (int i = 0; i < replicas; i++)
                        if (rt->place[shard * replicas + i] == dest)
                                m = i;
                dest = rt->place[shard * replicas + (m + 1) % replicas];
                rt->leader_rank[shard] = dest;
                t->silent_since[shard] = now;
        }
        return dest;
}

static void send_commit(struct bl_rt *rt, int dest, int type, uint32_t group, uint32_t origin,
                        uint8_t hops, const void *buf, size_t len)
{
        struct bl_wbuf w;
        int rc = bl_rt_buf(rt, len + PREFIX);

        if (rc != 0) {
                bl_rt_fail(rt, rc, "sending a commit-layer message");
                return;
        }
        bl_wbuf_init(&w, rt->buf, rt->bufcap);
        bl_put_u32(&w, origin);
        bl_put_u8(&w, hops);
        memcpy(rt->buf + PREFIX, buf, len);
        bl_rt_txn_send(rt, dest, BL_MSG_COMMIT, type, group, rt->buf, len + PREFIX);
}

static void hint(struct bl_rt *rt, int dest, int shard, int leader)
{
        uint8_t b[4];
        struct bl_wbuf w;

        bl_wbuf_init(&w, b, sizeof(b));
        bl_put_u32(&w, (uint32_t)leader);
        bl_rt_txn_send(rt, dest, BL_MSG_LEADER, 0, (uint32_t)shard, b, sizeof(b));
}

static void on_commit(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_rt_txn *t = rt->txn;
        struct bl_rbuf rb;
        uint32_t origin;
        uint8_t hops;
        const uint8_t *body;
        size_t blen;

        bl_rbuf_init(&rb, f->data, f->len);
        origin = bl_get_u32(&rb);
        hops = bl_get_u8(&rb);
        if (!rb.ok || origin >= (uint32_t)rt->size) {
                rt->malformed++;
                return;
        }
        body = (const uint8_t *)f->data + PREFIX;
        blen = f->len - PREFIX;
        if (t->tpc == NULL)
                return;
        if (f->group != BL_NET_NO_GROUP) {
                int shard = (int)f->group;
                struct bl_replica *r;

                if (f->group >= (uint32_t)rt->cfg->cluster.shards) {
                        rt->malformed++;
                        return;
                }
                r = replica_of(rt, shard);
                if (!leads(rt, r)) {
                        int l = bl_rt_txn_leader_of(rt, shard);
                        /* Forward once, to a leader known to be elsewhere. */
                        if (hops == 0 && l >= 0 && l != rt->rank &&
                            (r == NULL || rt->kern->leader(r->k) >= 0)) {
                                send_commit(rt, l, f->type, f->group, origin, 1, body, blen);
                                if (r != NULL)
                                        hint(rt, f->src, shard, l);
                        }
                        return;
                }
        }
        if (bl_tpc_recv(t->tpc, (int)origin, f->type, body, blen) != 0)
                rt->malformed++;
}

static void on_leader(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_rbuf rb;
        uint32_t l;

        bl_rbuf_init(&rb, f->data, f->len);
        l = bl_get_u32(&rb);
        if (!rb.ok || !bl_rbuf_done(&rb) || l >= (uint32_t)rt->size ||
            f->group >= (uint32_t)rt->cfg->cluster.shards) {
                rt->malformed++;
                return;
        }
        rt->leader_rank[f->group] = (int)l;
}

/* ---- client transactions at their coordinator --------------------------- */

/* Reply to a client: outcome, reads (per op) or a redirect (status 2). */
static void send_reply(struct bl_rt *rt, int dest, uint32_t session, uint64_t txn, int status,
                       int reason, int leader, const struct bl_tpc_read *reads, uint32_t nops)
{
        size_t n = 4 + 8 + 1 + 1 + 4 + 4;
        struct bl_wbuf w;
        int rc;

        for (uint32_t i = 0; reads != NULL && i < nops; i++)
                n += 12 + 8 * (size_t)reads[i].list_len;
        if ((rc = bl_rt_buf(rt, n)) != 0) {
                bl_rt_fail(rt, rc, "sending a transaction reply");
                return;
        }
        bl_wbuf_init(&w, rt->buf, rt->bufcap);
        bl_put_u32(&w, session);
        bl_put_u64(&w, txn);
        bl_put_u8(&w, (uint8_t)status);
        bl_put_u8(&w, (uint8_t)reason);
        bl_put_u32(&w, (uint32_t)leader);
        bl_put_u32(&w, reads != NULL ? nops : 0);
        for (uint32_t i = 0; reads != NULL && i < nops; i++) {
                bl_put_u64(&w, reads[i].value);
                bl_put_u32(&w, reads[i].list_len);
                for (uint32_t j = 0; j < reads[i].list_len; j++)
                        bl_put_u64(&w, reads[i].list[j]);
        }
        bl_rt_txn_send(rt, dest, BL_MSG_TXN_REPLY, 0, 0, rt->buf, w.len);
}

void bl_rt_txn_reply(struct bl_rt *rt, const struct bl_tpc_result *res)
{
        int origin = (int)(res->cookie >> 40);

        if (origin == rt->rank) {
                bl_rt_txc_done(rt, res, rt->rank);
                return;
        }
        send_reply(rt, origin, (uint32_t)(res->cookie & 0xffffffffffull), res->id, res->outcome,
                   res->reason, -1, res->reads, res->nops);
}

int bl_rt_txn_begin(struct bl_rt *rt, const struct bl_tpc_txn *x)
{
        if (rt->txn->tpc == NULL)
                return BL_ENOTLEADER;
        return bl_tpc_begin(rt->txn->tpc, x);
}

/* BL_MSG_TXN: u32 origin, u32 session, u64 txn, u64 ts, u32 nops,
 * nops x (u8 kind, u64 key, u64 arg). */
static void on_txn(struct bl_rt *rt, const struct bl_frame *f)
{
        struct bl_rbuf rb;
        struct bl_tpc_txn x = {0};
        struct bl_tpc_op *ops;
        uint32_t origin, session;
        int rc;

        bl_rbuf_init(&rb, f->data, f->len);
        origin = bl_get_u32(&rb);
        session = bl_get_u32(&rb);
        x.id = bl_get_u64(&rb);
        x.ts = bl_get_u64(&rb);
        x.nops = bl_get_u32(&rb);
        if (!rb.ok || origin != (uint32_t)f->src || x.nops == 0 || x.nops > BL_TXS_MAX_OPS ||
            (size_t)x.nops * 17 != f->len - 28) {
                rt->malformed++;
                return;
        }
        ops = bl_malloc(sizeof(*ops) * x.nops);
        if (ops == NULL) {
                bl_rt_fail(rt, BL_ENOMEM, "receiving a transaction");
                return;
        }
        for (uint32_t i = 0; i < x.nops; i++) {
                ops[i].kind = bl_get_u8(&rb);
                ops[i].key = bl_get_u64(&rb);
                ops[i].arg = bl_get_u64(&rb);
        }
        x.ops = ops;
        x.cookie = (uint64_t)origin << 40 | session;
        rc = bl_rt_txn_begin(rt, &x);
        bl_free(ops);
        if (rc == BL_ENOTLEADER) {
                int shard = f->group < (uint32_t)rt->cfg->cluster.shards ? (int)f->group : 0;
                int l = bl_rt_txn_leader_of(rt, shard);
                send_reply(rt, f->src, session, x.id, 2, 0, l == rt->rank ? -1 : l, NULL, 0);
        } else if (rc == BL_EINVAL) {
                send_reply(rt, f->src, session, x.id, BL_TPC_ABORTED, BL_TPC_A_FAILURE, -1, NULL,
                           0);
        } else if (rc != 0 && rc != BL_EEXIST) {
                bl_rt_fail(rt, rc, "beginning a transaction");
        }
}

void bl_rt_txn_on_frame(struct bl_rt *rt, const struct bl_frame *f)
{
        if (rt->txn == NULL) {
                rt->malformed++;
                return;
        }
        rt->txn->heard[f->src] = bl_now_ns();
        if (rt->quiesced || rt->crashed)
                return;
        switch (f->kind) {
        case BL_MSG_COMMIT:
                on_commit(rt, f);
                break;
        case BL_MSG_LEADER:
                on_leader(rt, f);
                break;
        case BL_MSG_TXN:
                on_txn(rt, f);
                break;
        case BL_MSG_TXN_REPLY:
                if (rt->is_client)
                        bl_rt_txc_on_reply(rt, f);
                else
                        rt->malformed++;
                break;
        default:
                rt->malformed++;
        }
        bl_rt_txn_drain(rt);
}

/* ---- the commit layer's environment -------------------------------------- */

static uint64_t tenv_now(void *ctx)
{
        (void)ctx;
        return bl_now_ns();
}

static void tenv_send_shard(void *ctx, int shard, int type, const void *buf, size_t len)
{
        struct bl_rt *rt = ctx;

        if (shard < 0 || shard >= rt->cfg->cluster.shards)
                return;
        send_commit(rt, route(rt, shard, bl_now_ns()), type, (uint32_t)shard, (uint32_t)rt->rank, 0,
                    buf, len);
}

static void tenv_send_rank(void *ctx, int rank, int type, const void *buf, size_t len)
{
        struct bl_rt *rt = ctx;

        send_commit(rt, rank, type, BL_NET_NO_GROUP, (uint32_t)rt->rank, 0, buf, len);
}

static int tenv_propose(void *ctx, int shard, const void *cmd, size_t len, uint64_t tag)
{
        struct bl_rt *rt = ctx;
        struct bl_replica *r = replica_of(rt, shard);

        if (r == NULL)
                return BL_ENOTFOUND;
        if (r->crashed || r->k == NULL)
                return BL_ENOTLEADER;
        return rt->kern->submit(r->k, cmd, len, 0, tag);
}

static int tenv_is_leader(void *ctx, int shard)
{
        struct bl_rt *rt = ctx;

        return leads(rt, replica_of(rt, shard));
}

static struct bl_txs *tenv_store(void *ctx, int shard)
{
        struct bl_rt *rt = ctx;
        struct bl_replica *r = replica_of(rt, shard);

        return r != NULL && !r->crashed ? r->txs : NULL;
}

static uint64_t tenv_persist(void *ctx, int type, const void *buf, size_t len)
{
        struct bl_rt *rt = ctx;
        uint64_t seq;

        if (rt->wal == NULL) {
                bl_rt_fail(rt, BL_EIO, "the coordinator has no log to persist a decision in");
                return 0;
        }
        seq = bl_wal_append(rt->wal, BL_TXN_WAL_GROUP, type, buf, len);
        if (seq == 0) {
                if (bl_wal_error(rt->wal, &rt->eb) == 0)
                        bl_errf(&rt->eb, BL_EINVAL, "commit layer persisted a bad record (type %d)",
                                type);
                bl_rt_fail(rt, BL_EIO, "persisting a commit decision");
                return 0;
        }
        rt->txn->persisted = seq;
        return seq;
}

static void tenv_done(void *ctx, const struct bl_tpc_result *r)
{
        bl_rt_txn_reply(ctx, r);
}

static void tenv_event(void *ctx, int type, int64_t a, int64_t b)
{
        bl_rt_event(ctx, type, a, b);
}

static int tpc_new(struct bl_rt *rt)
{
        const struct bl_config *cfg = rt->cfg;
        struct bl_tpc_env env = {
            .ctx = rt,
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
        struct bl_tpc_cfg c = {
            .rank = rt->rank,
            .nshards = cfg->cluster.shards,
            .replicated = rt->txn->replicated,
            .retry_ns = (uint64_t)cfg->txn.retry_ms * 1000000ull,
            .timeout_ns = (uint64_t)cfg->txn.timeout_ms * 1000000ull,
            .query_ns = (uint64_t)cfg->txn.query_ms * 1000000ull,
        };

        rt->txn->tpc = bl_tpc_create(&env, &c);
        return rt->txn->tpc != NULL ? 0 : BL_ENOMEM;
}

int bl_rt_txn_create(struct bl_rt *rt)
{
        const struct bl_config *cfg = rt->cfg;
        struct bl_rt_txn *t = rt->txn;
        int rc;

        t->heard = bl_calloc((size_t)rt->size, sizeof(uint64_t));
        t->silent_since = bl_calloc((size_t)cfg->cluster.shards, sizeof(uint64_t));
        if (t->heard == NULL || t->silent_since == NULL)
                return bl_errf(&rt->eb, BL_ENOMEM, "out of memory for transaction routing");
        bl_hist_init(&t->block);
        if ((rc = tpc_new(rt)) != 0)
                return bl_errf(&rt->eb, rc, "out of memory creating the commit layer");
        bl_tpc_start(t->tpc);
        return bl_rt_txc_create(rt);
}

void bl_rt_txn_destroy(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;

        if (t == NULL)
                return;
        bl_rt_txc_destroy(rt);
        bl_tpc_destroy(t->tpc);
        t->tpc = NULL;
        queue_flush(t);
        bl_free(t->q);
        bl_free(t->heard);
        bl_free(t->silent_since);
        bl_free(t->blocks);
        bl_free(t->ts_in_doubt);
        bl_free(t->ts_blocked);
        bl_free(t->ts_aborts);
        bl_rt_txn_finish_free(rt);
        bl_free(t);
        rt->txn = NULL;
}

void bl_rt_txn_crash(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;

        if (t == NULL)
                return;
        bl_tpc_destroy(t->tpc);
        t->tpc = NULL;
        queue_flush(t);
}

static int replay_one(void *arg, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_rt *rt = arg;
        int rc = bl_tpc_replay(rt->txn->tpc, seq, type, buf, len);

        if (rc != 0)
                bl_errf(&rt->eb, rc, "commit layer refused persisted record %llu (type %d)",
                        (unsigned long long)seq, type);
        rt->txn->persisted = seq;
        return rc;
}

int bl_rt_txn_recover(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;
        int rc;

        if (t == NULL)
                return 0;
        if ((rc = tpc_new(rt)) != 0)
                return bl_errf(&rt->eb, rc, "out of memory recreating the commit layer");
        t->persisted = 0;
        if (rt->wal != NULL && (rc = bl_wal_replay(rt->wal, BL_TXN_WAL_GROUP, replay_one, rt)) != 0)
                return rc;
        t->durable = t->persisted;
        bl_tpc_start(t->tpc);
        return 0;
}

int bl_rt_txn_quiet(struct bl_rt *rt)
{
        struct bl_tpc_stats st;

        if (rt->txn == NULL || rt->txn->tpc == NULL || rt->crashed)
                return 1;
        bl_tpc_stats(rt->txn->tpc, &st);
        return st.active == 0 && st.unacked == 0 && rt->txn->qlen == 0;
}

void bl_rt_txn_durable(struct bl_rt *rt)
{
        struct bl_rt_txn *t = rt->txn;
        uint64_t d, upto;

        if (t == NULL || t->tpc == NULL || rt->wal == NULL || rt->crashed)
                return;
        d = bl_wal_durable(rt->wal);
        upto = d < t->persisted ? d : t->persisted;
        if (upto > t->durable) {
                t->durable = upto;
                bl_tpc_durable(t->tpc, upto);
        }
}

/* ---- timers and samples ------------------------------------------------- */

static int ts_grow(struct bl_rt_txn *t, size_t n)
{
        size_t cap = t->nts ? t->nts : 64;
        uint64_t *a, *b, *c;

        if (n <= t->nts)
                return 0;
        while (cap < n)
                cap *= 2;
        a = bl_realloc(t->ts_in_doubt, cap * sizeof(*a));
        if (a != NULL)
                t->ts_in_doubt = a;
        b = bl_realloc(t->ts_blocked, cap * sizeof(*b));
        if (b != NULL)
                t->ts_blocked = b;
        c = bl_realloc(t->ts_aborts, cap * sizeof(*c));
        if (c != NULL)
                t->ts_aborts = c;
        if (a == NULL || b == NULL || c == NULL)
                return BL_ENOMEM;
        memset(a + t->nts, 0, (cap - t->nts) * sizeof(*a));
        memset(b + t->nts, 0, (cap - t->nts) * sizeof(*b));
        memset(c + t->nts, 0, (cap - t->nts) * sizeof(*c));
        t->nts = cap;
        return 0;
}

int bl_rt_txn_ts_grow(struct bl_rt *rt, size_t n)
{
        return ts_grow(rt->txn, n);
}

/* The in-doubt series: per interval, the most prepared transactions (summed
 * over the participant leaders here) and blocked participants seen. */
static void sample(struct bl_rt *rt, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;
        uint64_t doubt = 0, blocked = 0;
        size_t i;

        if (now < rt->t0)
                return;
        for (int k = 0; k < rt->nreps; k++) {
                struct bl_replica *r = &rt->reps[k];
                struct bl_txs_stats st;
                if (!leads(rt, r))
                        continue;
                bl_txs_stats(r->txs, &st);
                doubt += st.in_doubt;
                blocked += st.in_doubt > 0;
        }
        i = bl_series_index(&rt->series, now - rt->t0);
        if (i >= t->nts && ts_grow(t, i + 1) != 0) {
                bl_rt_fail(rt, BL_ENOMEM, "recording the in-doubt series");
                return;
        }
        if (doubt > t->ts_in_doubt[i])
                t->ts_in_doubt[i] = doubt;
        if (blocked > t->ts_blocked[i])
                t->ts_blocked[i] = blocked;
}

void bl_rt_txn_step(struct bl_rt *rt, uint64_t now)
{
        struct bl_rt_txn *t = rt->txn;

        if (t == NULL)
                return;
        bl_rt_txn_drain(rt);
        if (t->tpc != NULL && !rt->crashed && !rt->quiesced && now >= t->next_sample) {
                /* Timers at the kernel tick's pace; the sample with them. */
                t->next_sample = now + (uint64_t)rt->cfg->cluster.tick_us * 1000ull;
                bl_tpc_tick(t->tpc);
                sample(rt, now);
        }
        bl_rt_txc_step(rt, now);
        bl_rt_txn_drain(rt);
}
