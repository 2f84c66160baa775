/* The commit layer object: creation, message dispatch, timers, stats and 2pc/none recovery. */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/wire.h"
#include "kernels/twopc/internal.h"

static const char *const msg_names[BL_TPC_MSG__COUNT] = {"prepare", "vote", "decide", "ack",
                                                         "query"};

static const char *const abort_names[] = {
#define BL_TPC_ABORT_STR(code, name) name,
    BL_TPC_ABORTS(BL_TPC_ABORT_STR)
#undef BL_TPC_ABORT_STR
};

const char *bl_tpc_msg_name(int type)
{
        return type >= 0 && type < BL_TPC_MSG__COUNT ? msg_names[type] : "?";
}

const char *bl_tpc_abort_name(int reason)
{
        return reason >= 0 && reason < BL_TPC_A__COUNT ? abort_names[reason] : "?";
}

static int env_ok(const struct bl_tpc_env *e, int replicated)
{
        return e->now != NULL && e->send_shard != NULL && e->send_rank != NULL &&
               e->propose != NULL && e->is_leader != NULL && e->store != NULL && e->done != NULL &&
               (replicated || e->persist != NULL);
}

struct bl_tpc *bl_tpc_create(const struct bl_tpc_env *env, const struct bl_tpc_cfg *cfg)
{
        struct bl_tpc *t;

        if (env == NULL || cfg == NULL || !env_ok(env, cfg->replicated) || cfg->rank < 0 ||
            cfg->nshards < 1 || (cfg->replicated != 0 && cfg->replicated != 1) ||
            cfg->retry_ns == 0 || cfg->timeout_ns == 0 || cfg->query_ns == 0)
                return NULL;
        t = bl_calloc(1, sizeof(*t));
        if (t == NULL)
                return NULL;
        t->env = *env;
        t->cfg = *cfg;
        t->nwatch = bl_calloc((size_t)cfg->nshards, sizeof(*t->nwatch));
        t->rescan_ns = bl_calloc((size_t)cfg->nshards, sizeof(*t->rescan_ns));
        if (t->nwatch == NULL || t->rescan_ns == NULL) {
                bl_tpc_destroy(t);
                return NULL;
        }
        return t;
}

void bl_tpc_destroy(struct bl_tpc *t)
{
        struct tpc_txn *x, *next;

        if (t == NULL)
                return;
        for (x = t->head; x != NULL; x = next) {
                next = x->next;
                tpc_txn_free(x);
        }
        for (size_t i = 0; i < t->props.cap; i++)
                if (t->props.slots[i].v != NULL)
                        tpc_prop_free(t->props.slots[i].v);
        for (size_t i = 0; i < t->wops.cap; i++)
                bl_free(t->wops.slots[i].v);
        tpc_watch_free_all(t);
        tpc_map_free(&t->txns);
        tpc_map_free(&t->committed);
        tpc_map_free(&t->props);
        tpc_map_free(&t->pkeys);
        tpc_map_free(&t->wops);
        bl_free(t->nwatch);
        bl_free(t->rescan_ns);
        bl_free(t->buf);
        bl_free(t);
}

int bl_tpc_replay(struct bl_tpc *t, uint64_t seq, int type, const void *buf, size_t len)
{
        uint32_t *shards, n;
        uint64_t txn;
        uint8_t commit;
        int rc;

        (void)seq;
        if (t->cfg.replicated)
                return BL_EPROTO; /* nothing is persisted in this mode */
        if (type == BL_TPC_REC_END) {
                struct bl_rbuf r;

                bl_rbuf_init(&r, buf, len);
                txn = bl_get_u64(&r);
                if (!bl_rbuf_done(&r))
                        return BL_EPROTO;
                tpc_coord_ended(t, txn);
                return 0;
        }
        if (type != BL_TPC_REC_DECISION)
                return BL_EPROTO;
        rc = tpc_rec_decode(t, buf, len, &txn, &commit, &shards, &n);
        if (rc != 0)
                return rc == BL_EPROTO ? BL_EPROTO : rc;
        rc = commit ? tpc_coord_replayed(t, txn, shards, n) : 0; /* aborts are presumed */
        bl_free(shards);
        return rc;
}

void bl_tpc_start(struct bl_tpc *t)
{
        tpc_coord_start(t);
}

int bl_tpc_recv(struct bl_tpc *t, int src, int type, const void *buf, size_t len)
{
        struct tpc_prepare p;
        struct tpc_vote v;
        struct tpc_decide d;
        struct tpc_query q;
        int rc;

        switch (type) {
        case BL_TPC_PREPARE:
                rc = tpc_prepare_decode(t, buf, len, &p);
                if (rc == 0)
                        tpc_part_prepare(t, src, &p);
                bl_free(p.ops);
                break;
        case BL_TPC_VOTE:
                rc = tpc_vote_decode(t, buf, len, &v);
                if (rc == 0)
                        rc = tpc_coord_vote(t, src, &v);
                bl_free(v.reads);
                break;
        case BL_TPC_DECIDE:
                rc = tpc_decide_decode(t, buf, len, &d);
                if (rc == 0) {
                        tpc_coord_answer(t, &d);
                        tpc_part_decide(t, src, &d);
                }
                break;
        case BL_TPC_ACK:
                rc = tpc_decide_decode(t, buf, len, &d);
                if (rc == 0)
                        tpc_coord_ack(t, &d);
                break;
        case BL_TPC_QUERY:
                rc = tpc_query_decode(t, buf, len, &q);
                if (rc == 0 && t->cfg.replicated)
                        tpc_part_query(t, src, &q);
                else if (rc == 0)
                        tpc_coord_query(t, src, &q);
                break;
        default:
                rc = BL_EPROTO;
                break;
        }
        if (rc == BL_EPROTO) {
                t->st.malformed++;
                return BL_EPROTO;
        }
        return 0; /* out of memory: dropped, as the network may; the sender retries */
}

void bl_tpc_durable(struct bl_tpc *t, uint64_t seq)
{
        if (seq <= t->durable)
                return;
        t->durable = seq;
        tpc_coord_durable(t);
}

void bl_tpc_tick(struct bl_tpc *t)
{
        tpc_coord_tick(t);
        tpc_part_tick(t);
}

void bl_tpc_stats(const struct bl_tpc *t, struct bl_tpc_stats *out)
{
        *out = t->st;
}
