/* Command encoding: a fixed little-endian header followed by pad bytes. */
#include "store/cmd.h"

#include <string.h>

#include "common/err.h"
#include "common/wire.h"

#define CMD_HEADER  37 /* 1 + 4 + 4 + 8 + 8 + 8 + 4 */
#define CMD_MAX_PAD (16u << 20)

static const char *const op_names[] = {
#define BL_OP_STR(code, name) name,
    BL_OPS(BL_OP_STR)
#undef BL_OP_STR
};

const char *bl_op_name(int op)
{
        if (op < 0 || op >= BL_OP__COUNT)
                return "?";
        return op_names[op];
}

int bl_op_readonly(int op)
{
        return op == BL_OP_GET;
}

size_t bl_cmd_size(const struct bl_cmd *c)
{
        return CMD_HEADER + c->pad;
}

size_t bl_cmd_encode(const struct bl_cmd *c, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u8(&w, c->op);
        bl_put_u32(&w, c->origin);
        bl_put_u32(&w, c->client);
        bl_put_u64(&w, c->seq);
        bl_put_u64(&w, c->key);
        bl_put_u64(&w, c->value);
        bl_put_u32(&w, c->pad);
        if (!w.ok || w.cap - w.len < c->pad)
                return 0;
        /* The payload models the value bytes; its content is derived from the
         * value token so it is deterministic, and nobody reads it back. */
        memset(w.p + w.len, (int)(c->value & 0xff), c->pad);
        return w.len + c->pad;
}

int bl_cmd_decode(struct bl_cmd *c, const void *buf, size_t len)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        c->op = bl_get_u8(&r);
        c->origin = bl_get_u32(&r);
        c->client = bl_get_u32(&r);
        c->seq = bl_get_u64(&r);
        c->key = bl_get_u64(&r);
        c->value = bl_get_u64(&r);
        c->pad = bl_get_u32(&r);
        if (!r.ok || c->op >= BL_OP__COUNT || c->pad > CMD_MAX_PAD)
                return BL_EPROTO;
        if (bl_get_bytes(&r, c->pad) == NULL || !bl_rbuf_done(&r))
                return BL_EPROTO;
        return 0;
}
