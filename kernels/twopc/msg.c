/* Wire formats of the commit layer's five messages and its decision record (see twopc.h). */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/wire.h"
#include "kernels/twopc/internal.h"
#include "store/kv.h" /* bl_shard_of */

/*
 * Decoders are strict: exact length, every enum in range, shards below
 * nshards, PREPARE keys on the shard named, counts checked against the bytes
 * left before anything is allocated. Anything else is BL_EPROTO, so a
 * corrupt or foreign message never reaches the protocol.
 */

#define PREPARE_HEAD 29 /* u64 txn, u64 ts, u32 coord, u8 flags, u32 shard, u32 nops */
#define PREPARE_OP   17 /* u8 kind, u64 key, u64 arg */
#define VOTE_HEAD    18 /* u64 txn, u32 shard, u8 vote, u8 reason, u32 nreads */
#define VOTE_READ    12 /* u64 value, u32 n, then n x u64 */

uint8_t *tpc_scratch(struct bl_tpc *t, size_t n)
{
        uint8_t *p;

        if (n <= t->bufcap)
                return t->buf;
        p = bl_realloc(t->buf, n);
        if (p == NULL)
                return NULL;
        t->buf = p;
        t->bufcap = n;
        return p;
}

static int shard_ok(const struct bl_tpc *t, uint32_t shard)
{
        return shard < (uint32_t)t->cfg.nshards;
}

/* ---- PREPARE ---- */

size_t tpc_prepare_encode(struct bl_tpc *t, const struct tpc_prepare *p,
                          const struct bl_tpc_op *ops, const uint32_t *pos)
{
        size_t n = PREPARE_HEAD + (size_t)p->nops * PREPARE_OP;
        uint8_t *buf = tpc_scratch(t, n);
        struct bl_wbuf w;

        if (buf == NULL)
                return 0;
        bl_wbuf_init(&w, buf, n);
        bl_put_u64(&w, p->txn);
        bl_put_u64(&w, p->ts);
        bl_put_u32(&w, p->coord);
        bl_put_u8(&w, p->flags);
        bl_put_u32(&w, p->shard);
        bl_put_u32(&w, p->nops);
        for (uint32_t i = 0; i < p->nops; i++) {
                const struct bl_tpc_op *op = &ops[pos[i]];

                bl_put_u8(&w, op->kind);
                bl_put_u64(&w, op->key);
                bl_put_u64(&w, op->arg);
        }
        return w.ok && w.len == n ? n : 0;
}

int tpc_prepare_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_prepare *p)
{
        struct bl_rbuf r;

        memset(p, 0, sizeof(*p));
        bl_rbuf_init(&r, buf, len);
        p->txn = bl_get_u64(&r);
        p->ts = bl_get_u64(&r);
        p->coord = bl_get_u32(&r);
        p->flags = bl_get_u8(&r);
        p->shard = bl_get_u32(&r);
        p->nops = bl_get_u32(&r);
        if (!r.ok || (p->flags & ~BL_TXS_RELEASE_READS) || !shard_ok(t, p->shard) ||
            (t->cfg.replicated && !shard_ok(t, p->coord)) || p->nops == 0 ||
            p->nops > BL_TXS_MAX_OPS || r.len - r.off != (size_t)p->nops * PREPARE_OP)
                return BL_EPROTO;
        p->ops = bl_malloc(p->nops * sizeof(*p->ops));
        if (p->ops == NULL)
                return BL_ENOMEM;
        for (uint32_t i = 0; i < p->nops; i++) {
                struct bl_txs_op *op = &p->ops[i];

                op->kind = bl_get_u8(&r);
                op->key = bl_get_u64(&r);
                op->arg = bl_get_u64(&r);
                if (op->kind >= BL_TXS_OP__COUNT ||
                    bl_shard_of(op->key, t->cfg.nshards) != (int)p->shard) {
                        bl_free(p->ops);
                        p->ops = NULL;
                        return BL_EPROTO;
                }
        }
        return bl_rbuf_done(&r) ? 0 : BL_EPROTO;
}

/* ---- VOTE ---- */

size_t tpc_vote_encode(struct bl_tpc *t, const struct tpc_vote *v)
{
        size_t n = VOTE_HEAD;
        struct bl_wbuf w;
        uint8_t *buf;

        for (uint32_t i = 0; i < v->nreads; i++)
                n += VOTE_READ + (size_t)v->reads[i].list_len * 8;
        if ((buf = tpc_scratch(t, n)) == NULL)
                return 0;
        bl_wbuf_init(&w, buf, n);
        bl_put_u64(&w, v->txn);
        bl_put_u32(&w, v->shard);
        bl_put_u8(&w, v->vote);
        bl_put_u8(&w, v->reason);
        bl_put_u32(&w, v->nreads);
        for (uint32_t i = 0; i < v->nreads; i++) {
                bl_put_u64(&w, v->reads[i].value);
                bl_put_u32(&w, v->reads[i].list_len);
                for (uint32_t j = 0; j < v->reads[i].list_len; j++)
                        bl_put_u64(&w, v->reads[i].list[j]);
        }
        return w.ok && w.len == n ? n : 0;
}

int tpc_vote_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_vote *v)
{
        struct bl_rbuf r;
        size_t head, elems = 0;
        uint64_t *list;

        memset(v, 0, sizeof(*v));
        bl_rbuf_init(&r, buf, len);
        v->txn = bl_get_u64(&r);
        v->shard = bl_get_u32(&r);
        v->vote = bl_get_u8(&r);
        v->reason = bl_get_u8(&r);
        v->nreads = bl_get_u32(&r);
        if (!r.ok || !shard_ok(t, v->shard) || v->nreads > BL_TXS_MAX_OPS)
                return BL_EPROTO;
        switch (v->vote) {
        case BL_TXS_NO:
                if (v->reason == BL_TXS_R_NONE || v->reason >= BL_TXS_R__COUNT || v->nreads != 0)
                        return BL_EPROTO;
                break;
        case BL_TXS_YES:
        case BL_TXS_READ_ONLY:
                if (v->reason != BL_TXS_R_NONE)
                        return BL_EPROTO;
                break;
        default: /* PENDING is never sent */
                return BL_EPROTO;
        }
        /* First pass: the shape, against the bytes present. */
        head = r.off;
        for (uint32_t i = 0; i < v->nreads; i++) {
                uint32_t n;

                bl_get_u64(&r);
                n = bl_get_u32(&r);
                if (!r.ok || (r.len - r.off) / 8 < n)
                        return BL_EPROTO;
                r.off += (size_t)n * 8;
                elems += n;
        }
        if (!bl_rbuf_done(&r))
                return BL_EPROTO;
        if (v->nreads == 0)
                return 0;
        v->reads = bl_malloc(v->nreads * sizeof(*v->reads) + elems * sizeof(uint64_t));
        if (v->reads == NULL)
                return BL_ENOMEM;
        list = (uint64_t *)(v->reads + v->nreads);
        r.off = head;
        for (uint32_t i = 0; i < v->nreads; i++) {
                struct bl_tpc_read *rd = &v->reads[i];

                rd->value = bl_get_u64(&r);
                rd->list_len = bl_get_u32(&r);
                rd->list = rd->list_len > 0 ? list : NULL;
                for (uint32_t j = 0; j < rd->list_len; j++)
                        *list++ = bl_get_u64(&r);
        }
        return 0;
}

/* ---- DECIDE, ACK ---- */

size_t tpc_decide_encode(struct bl_tpc *t, const struct tpc_decide *d)
{
        uint8_t *buf = tpc_scratch(t, TPC_DECIDE_LEN);
        struct bl_wbuf w;

        if (buf == NULL)
                return 0;
        bl_wbuf_init(&w, buf, TPC_DECIDE_LEN);
        bl_put_u64(&w, d->txn);
        bl_put_u32(&w, d->shard);
        bl_put_u8(&w, d->commit);
        return w.ok ? w.len : 0;
}

int tpc_decide_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_decide *d)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        d->txn = bl_get_u64(&r);
        d->shard = bl_get_u32(&r);
        d->commit = bl_get_u8(&r);
        if (!bl_rbuf_done(&r) || d->commit > 1 || !shard_ok(t, d->shard))
                return BL_EPROTO;
        return 0;
}

/* ---- QUERY ---- */

size_t tpc_query_encode(struct bl_tpc *t, const struct tpc_query *q)
{
        uint8_t *buf = tpc_scratch(t, TPC_QUERY_LEN);
        struct bl_wbuf w;

        if (buf == NULL)
                return 0;
        bl_wbuf_init(&w, buf, TPC_QUERY_LEN);
        bl_put_u64(&w, q->txn);
        bl_put_u32(&w, q->shard);
        bl_put_u32(&w, q->coord);
        return w.ok ? w.len : 0;
}

int tpc_query_decode(const struct bl_tpc *t, const void *buf, size_t len, struct tpc_query *q)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        q->txn = bl_get_u64(&r);
        q->shard = bl_get_u32(&r);
        q->coord = bl_get_u32(&r);
        if (!bl_rbuf_done(&r) || !shard_ok(t, q->shard) ||
            (t->cfg.replicated && !shard_ok(t, q->coord)))
                return BL_EPROTO;
        return 0;
}

/* ---- decision record ---- */

size_t tpc_rec_encode(struct bl_tpc *t, uint64_t txn, int commit, const uint32_t *shards,
                      uint32_t n)
{
        size_t len = 13 + (size_t)n * 4;
        uint8_t *buf = tpc_scratch(t, len);
        struct bl_wbuf w;

        if (buf == NULL)
                return 0;
        bl_wbuf_init(&w, buf, len);
        bl_put_u64(&w, txn);
        bl_put_u8(&w, (uint8_t)(commit != 0));
        bl_put_u32(&w, n);
        for (uint32_t i = 0; i < n; i++)
                bl_put_u32(&w, shards[i]);
        return w.ok && w.len == len ? len : 0;
}

int tpc_rec_decode(const struct bl_tpc *t, const void *buf, size_t len, uint64_t *txn,
                   uint8_t *commit, uint32_t **shards, uint32_t *n)
{
        struct bl_rbuf r;
        uint32_t *s = NULL;

        *shards = NULL;
        bl_rbuf_init(&r, buf, len);
        *txn = bl_get_u64(&r);
        *commit = bl_get_u8(&r);
        *n = bl_get_u32(&r);
        if (!r.ok || *commit > 1 || *n > (uint32_t)t->cfg.nshards ||
            r.len - r.off != (size_t)*n * 4)
                return BL_EPROTO;
        if (*n > 0 && (s = bl_malloc(*n * sizeof(*s))) == NULL)
                return BL_ENOMEM;
        for (uint32_t i = 0; i < *n; i++) {
                s[i] = bl_get_u32(&r);
                if (!shard_ok(t, s[i])) {
                        bl_free(s);
                        return BL_EPROTO;
                }
        }
        *shards = s;
        return 0;
}
