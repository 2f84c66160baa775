/* Reply encoding: fixed little-endian header plus pad bytes. */
#include "run/proto.h"

#include <string.h>

#include "common/err.h"
#include "common/wire.h"
#include "store/cmd.h"

#define REPLY_HEADER  29 /* 4 + 8 + 1 + 4 + 8 + 4 */
#define REPLY_MAX_PAD (16u << 20)

size_t bl_reply_size(const struct bl_reply *r)
{
        return REPLY_HEADER + r->pad;
}

size_t bl_reply_encode(const struct bl_reply *r, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u32(&w, r->client);
        bl_put_u64(&w, r->seq);
        bl_put_u8(&w, r->status);
        bl_put_u32(&w, (uint32_t)r->leader);
        bl_put_u64(&w, r->value);
        bl_put_u32(&w, r->pad);
        if (!w.ok || w.cap - w.len < r->pad)
                return 0;
        memset(w.p + w.len, 0x5a, r->pad);
        return w.len + r->pad;
}

int bl_reply_decode(struct bl_reply *r, const void *buf, size_t len)
{
        struct bl_rbuf rb;

        bl_rbuf_init(&rb, buf, len);
        r->client = bl_get_u32(&rb);
        r->seq = bl_get_u64(&rb);
        r->status = bl_get_u8(&rb);
        r->leader = (int32_t)bl_get_u32(&rb);
        r->value = bl_get_u64(&rb);
        r->pad = bl_get_u32(&rb);
        if (!rb.ok || r->status > BL_ST_BUSY || r->pad > REPLY_MAX_PAD)
                return BL_EPROTO;
        if (bl_get_bytes(&rb, r->pad) == NULL || !bl_rbuf_done(&rb))
                return BL_EPROTO;
        return 0;
}
