/* Bounds-checked little-endian encoding for messages on the wire. */
#ifndef BL_COMMON_WIRE_H
#define BL_COMMON_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * A writer appends into a caller buffer; a reader consumes one. Both carry a
 * sticky error flag instead of returning a code from every call: encode or
 * decode a whole message, then test `ok` once. A reader never reads past its
 * end, so a truncated or hostile message yields ok == 0, never a crash.
 */
struct bl_wbuf {
        uint8_t *p;
        size_t cap;
        size_t len;
        int ok;
};

struct bl_rbuf {
        const uint8_t *p;
        size_t len;
        size_t off;
        int ok;
};

static inline void bl_wbuf_init(struct bl_wbuf *w, void *buf, size_t cap)
{
        w->p = buf;
        w->cap = cap;
        w->len = 0;
        w->ok = 1;
}

static inline void bl_rbuf_init(struct bl_rbuf *r, const void *buf, size_t len)
{
        r->p = buf;
        r->len = len;
        r->off = 0;
        r->ok = 1;
}

static inline void bl_put_bytes(struct bl_wbuf *w, const void *src, size_t n)
{
        if (!w->ok || w->cap - w->len < n) {
                w->ok = 0;
                return;
        }
        if (n > 0)
                memcpy(w->p + w->len, src, n);
        w->len += n;
}

static inline void bl_put_u64(struct bl_wbuf *w, uint64_t v)
{
        uint8_t b[8];

        for (int i = 0; i < 8; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        bl_put_bytes(w, b, 8);
}

static inline void bl_put_u32(struct bl_wbuf *w, uint32_t v)
{
        uint8_t b[4];

        for (int i = 0; i < 4; i++)
                b[i] = (uint8_t)(v >> (8 * i));
        bl_put_bytes(w, b, 4);
}

static inline void bl_put_u8(struct bl_wbuf *w, uint8_t v)
{
        bl_put_bytes(w, &v, 1);
}

static inline const uint8_t *bl_get_bytes(struct bl_rbuf *r, size_t n)
{
        const uint8_t *q;

        if (!r->ok || r->len - r->off < n) {
                r->ok = 0;
                return NULL;
        }
        q = r->p + r->off;
        r->off += n;
        return q;
}

static inline uint64_t bl_get_u64(struct bl_rbuf *r)
{
        const uint8_t *b = bl_get_bytes(r, 8);
        uint64_t v = 0;

        if (b == NULL)
                return 0;
        for (int i = 0; i < 8; i++)
                v |= (uint64_t)b[i] << (8 * i);
        return v;
}

static inline uint32_t bl_get_u32(struct bl_rbuf *r)
{
        const uint8_t *b = bl_get_bytes(r, 4);
        uint32_t v = 0;

        if (b == NULL)
                return 0;
        for (int i = 0; i < 4; i++)
                v |= (uint32_t)b[i] << (8 * i);
        return v;
}

static inline uint8_t bl_get_u8(struct bl_rbuf *r)
{
        const uint8_t *b = bl_get_bytes(r, 1);

        return b == NULL ? 0 : b[0];
}

/* True when the whole buffer was consumed without error. */
static inline int bl_rbuf_done(const struct bl_rbuf *r)
{
        return r->ok && r->off == r->len;
}

#endif
