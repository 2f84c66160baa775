/* Transaction command encoding (PREPARE, DECIDE) and the decode-and-apply entry point. */
#include <string.h>

#include "common/alloc.h"
#include "common/err.h"
#include "common/wire.h"
#include "store/cmd.h"
#include "store/txn.h"

#define PREPARE_HEADER (1 + 8 + 8 + 4 + 1 + 4)
#define PREPARE_OP     (1 + 8 + 8)
#define DECIDE_SIZE    (1 + 8 + 1)

/* A transaction command must never parse as a single-key one. */
_Static_assert(BL_OP__COUNT < BL_TXS_CMD_PREPARE && BL_OP__COUNT < BL_TXS_CMD_DECIDE,
               "transaction command tags collide with single-key ops");

int bl_txs_cmd_is(const void *buf, size_t len)
{
        const uint8_t *p = buf;

        return len > 0 && (p[0] == BL_TXS_CMD_PREPARE || p[0] == BL_TXS_CMD_DECIDE);
}

size_t bl_txs_cmd_size(const struct bl_txs_cmd *c)
{
        if (c->type == BL_TXS_CMD_DECIDE)
                return DECIDE_SIZE;
        return PREPARE_HEADER + (size_t)c->nops * PREPARE_OP;
}

size_t bl_txs_cmd_encode(const struct bl_txs_cmd *c, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        if (c->type == BL_TXS_CMD_DECIDE) {
                if (c->commit > 1)
                        return 0;
                bl_put_u8(&w, c->type);
                bl_put_u64(&w, c->txn);
                bl_put_u8(&w, c->commit);
                return w.ok ? w.len : 0;
        }
        if (c->type != BL_TXS_CMD_PREPARE || c->nops > BL_TXS_MAX_OPS ||
            (c->flags & ~BL_TXS_RELEASE_READS) || (c->nops > 0 && c->ops == NULL))
                return 0;
        bl_put_u8(&w, c->type);
        bl_put_u64(&w, c->txn);
        bl_put_u64(&w, c->ts);
        bl_put_u32(&w, c->coord);
        bl_put_u8(&w, c->flags);
        bl_put_u32(&w, c->nops);
        for (uint32_t i = 0; i < c->nops; i++) {
                if (c->ops[i].kind >= BL_TXS_OP__COUNT)
                        return 0;
                bl_put_u8(&w, c->ops[i].kind);
                bl_put_u64(&w, c->ops[i].key);
                bl_put_u64(&w, c->ops[i].arg);
        }
        return w.ok ? w.len : 0;
}

int bl_txs_cmd_decode(struct bl_txs_cmd *c, const void *buf, size_t len)
{
        struct bl_txs_op *ops = NULL;
        struct bl_rbuf r;

        memset(c, 0, sizeof(*c));
        bl_rbuf_init(&r, buf, len);
        c->type = bl_get_u8(&r);
        c->txn = bl_get_u64(&r);
        if (c->type == BL_TXS_CMD_DECIDE) {
                c->commit = bl_get_u8(&r);
                return bl_rbuf_done(&r) && c->commit <= 1 ? 0 : BL_EPROTO;
        }
        if (c->type != BL_TXS_CMD_PREPARE)
                return BL_EPROTO;
        c->ts = bl_get_u64(&r);
        c->coord = bl_get_u32(&r);
        c->flags = bl_get_u8(&r);
        c->nops = bl_get_u32(&r);
        /* The count is checked against the bytes left before allocating. */
        if (!r.ok || (c->flags & ~BL_TXS_RELEASE_READS) || c->nops > BL_TXS_MAX_OPS ||
            (r.len - r.off) != (size_t)c->nops * PREPARE_OP)
                return BL_EPROTO;
        if (c->nops > 0) {
                ops = bl_malloc(c->nops * sizeof(*ops));
                if (ops == NULL)
                        return BL_ENOMEM;
        }
        for (uint32_t i = 0; i < c->nops; i++) {
                ops[i].kind = bl_get_u8(&r);
                ops[i].key = bl_get_u64(&r);
                ops[i].arg = bl_get_u64(&r);
                if (ops[i].kind >= BL_TXS_OP__COUNT) {
                        bl_free(ops);
                        c->nops = 0;
                        return BL_EPROTO;
                }
        }
        c->ops = ops;
        return 0;
}

void bl_txs_cmd_free(struct bl_txs_cmd *c)
{
        bl_free((void *)c->ops);
        c->ops = NULL;
        c->nops = 0;
}

int bl_txs_apply(struct bl_txs *s, const void *buf, size_t len, uint64_t index, uint64_t now,
                 struct bl_txs_vote_msg *out)
{
        struct bl_txs_cmd c;
        int rc;

        memset(out, 0, sizeof(*out));
        rc = bl_txs_cmd_decode(&c, buf, len);
        if (rc != 0)
                return rc;
        out->txn = c.txn;
        if (c.type == BL_TXS_CMD_DECIDE)
                return bl_txs_decide(s, c.txn, c.commit, index, now);
        rc = bl_txs_prepare(s, c.txn, c.ts, c.coord, c.flags, c.ops, c.nops, index, now, out);
        bl_txs_cmd_free(&c);
        return rc;
}
