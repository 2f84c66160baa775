/*
 * Wire format of the Multi-Paxos messages: little-endian fixed fields
 * (common/wire.h), values as (type u8, len u32, bytes), prefixed in a
 * Promise by their slot and ballot. Decoders check everything a hostile or
 * truncated message could get wrong before a handler sees it.
 */
#include "kernels/paxos/encode.h"

#include "common/err.h"
#include "kernels/paxos/internal.h"

const char *const bl_paxos_msg_names[BL_PAXOS_MSG__COUNT] = {
    [BL_PAXOS_MSG_PREPARE] = "prepare",         [BL_PAXOS_MSG_PROMISE] = "promise",
    [BL_PAXOS_MSG_ACCEPT] = "accept",           [BL_PAXOS_MSG_ACCEPTED] = "accepted",
    [BL_PAXOS_MSG_CATCHUP] = "catchup",         [BL_PAXOS_MSG_LEARN] = "learn",
    [BL_PAXOS_MSG_SNAPSHOT] = "snapshot_chunk", [BL_PAXOS_MSG_TIMEOUT_NOW] = "timeout_now",
};

static size_t finish(const struct bl_wbuf *w)
{
        return w->ok ? w->len : 0;
}

size_t bl_paxos_encode_prepare(const struct bl_paxos_prepare *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->ballot);
        bl_put_u64(&w, m->from);
        bl_put_u8(&w, m->force);
        bl_put_u8(&w, m->probe);
        return finish(&w);
}

size_t bl_paxos_encode_accepted(const struct bl_paxos_accepted *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->ballot);
        bl_put_u8(&w, m->ok);
        bl_put_u64(&w, m->promised);
        bl_put_u64(&w, m->first);
        bl_put_u32(&w, m->n);
        bl_put_u64(&w, m->round);
        bl_put_u64(&w, m->commit);
        return finish(&w);
}

size_t bl_paxos_encode_catchup(const struct bl_paxos_catchup *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->from);
        bl_put_u64(&w, m->snap_index);
        bl_put_u64(&w, m->snap_got);
        return finish(&w);
}

size_t bl_paxos_encode_timeout_now(const struct bl_paxos_timeout_now *m, void *buf, size_t cap)
{
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, cap);
        bl_put_u64(&w, m->ballot);
        return finish(&w);
}

void bl_paxos_put_promise(struct bl_wbuf *w, const struct bl_paxos_promise *m)
{
        bl_put_u64(w, m->ballot);
        bl_put_u8(w, m->ok);
        bl_put_u64(w, m->promised);
        bl_put_u64(w, m->commit);
        bl_put_u64(w, m->offset);
        bl_put_u32(w, m->n);
}

void bl_paxos_put_accept(struct bl_wbuf *w, const struct bl_paxos_accept *m)
{
        bl_put_u64(w, m->ballot);
        bl_put_u64(w, m->commit);
        bl_put_u64(w, m->round);
        bl_put_u64(w, m->first);
        bl_put_u32(w, m->n);
}

void bl_paxos_put_learn(struct bl_wbuf *w, const struct bl_paxos_learn *m)
{
        bl_put_u64(w, m->commit);
        bl_put_u64(w, m->first);
        bl_put_u32(w, m->n);
}

void bl_paxos_put_snapshot(struct bl_wbuf *w, const struct bl_paxos_snapshot *m)
{
        bl_put_u64(w, m->index);
        bl_put_u64(w, m->total);
        bl_put_u64(w, m->offset);
        bl_put_bytes(w, m->data, m->len);
}

void bl_paxos_put_value(struct bl_wbuf *w, uint8_t type, const void *buf, uint32_t len)
{
        bl_put_u8(w, type);
        bl_put_u32(w, len);
        bl_put_bytes(w, buf, len);
}

void bl_paxos_put_promise_value(struct bl_wbuf *w, uint64_t slot, uint64_t ballot, uint8_t type,
                                const void *buf, uint32_t len)
{
        bl_put_u64(w, slot);
        bl_put_u64(w, ballot);
        bl_paxos_put_value(w, type, buf, len);
}

int bl_paxos_values_next(struct bl_rbuf *r, int promise, struct bl_paxos_wire_value *v)
{
        v->slot = promise ? bl_get_u64(r) : 0;
        v->ballot = promise ? bl_get_u64(r) : 0;
        v->type = bl_get_u8(r);
        v->len = bl_get_u32(r);
        v->buf = bl_get_bytes(r, v->len);
        return r->ok ? 0 : BL_EPROTO;
}

int bl_paxos_values_check(const uint8_t *buf, size_t len, uint32_t n, int promise)
{
        struct bl_rbuf r;
        struct bl_paxos_wire_value v;
        uint64_t prev = 0;

        /* Each value takes at least its header: a count larger than the
         * bytes allow is refused before walking. */
        if ((uint64_t)n * (promise ? BL_PAXOS_WIRE_PROMISE_VALUE : BL_PAXOS_WIRE_VALUE) > len)
                return BL_EPROTO;
        bl_rbuf_init(&r, buf, len);
        for (uint32_t i = 0; i < n; i++) {
                if (bl_paxos_values_next(&r, promise, &v) != 0)
                        return BL_EPROTO;
                if (v.type != BL_PAXOS_CMD && v.type != BL_PAXOS_NOOP)
                        return BL_EPROTO;
                if (promise && (v.slot <= prev || v.ballot == 0))
                        return BL_EPROTO;
                prev = v.slot;
        }
        return bl_rbuf_done(&r) ? 0 : BL_EPROTO;
}

/* A run of n slots from first must not wrap around. */
static int range_ok(uint64_t first, uint32_t n)
{
        return n == 0 || (first >= 1 && first <= UINT64_MAX - n);
}

int bl_paxos_decode_prepare(const void *buf, size_t len, struct bl_paxos_prepare *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->ballot = bl_get_u64(&r);
        m->from = bl_get_u64(&r);
        m->force = bl_get_u8(&r);
        m->probe = bl_get_u8(&r);
        if (!bl_rbuf_done(&r) || m->ballot == 0 || m->from == 0 || m->force > 1 || m->probe > 1)
                return BL_EPROTO;
        return 0;
}

int bl_paxos_decode_promise(const void *buf, size_t len, struct bl_paxos_promise *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->ballot = bl_get_u64(&r);
        m->ok = bl_get_u8(&r);
        m->promised = bl_get_u64(&r);
        m->commit = bl_get_u64(&r);
        m->offset = bl_get_u64(&r);
        m->n = bl_get_u32(&r);
        if (!r.ok || m->ballot == 0 || m->ok > BL_PAXOS_WOULD || m->offset > m->commit ||
            (m->ok != BL_PAXOS_PROMISED && m->n != 0))
                return BL_EPROTO;
        m->values = r.p + r.off;
        m->values_len = r.len - r.off;
        return bl_paxos_values_check(m->values, m->values_len, m->n, 1);
}

int bl_paxos_decode_accept(const void *buf, size_t len, struct bl_paxos_accept *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->ballot = bl_get_u64(&r);
        m->commit = bl_get_u64(&r);
        m->round = bl_get_u64(&r);
        m->first = bl_get_u64(&r);
        m->n = bl_get_u32(&r);
        if (!r.ok || m->ballot == 0 || !range_ok(m->first, m->n))
                return BL_EPROTO;
        m->values = r.p + r.off;
        m->values_len = r.len - r.off;
        return bl_paxos_values_check(m->values, m->values_len, m->n, 0);
}

int bl_paxos_decode_accepted(const void *buf, size_t len, struct bl_paxos_accepted *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->ballot = bl_get_u64(&r);
        m->ok = bl_get_u8(&r);
        m->promised = bl_get_u64(&r);
        m->first = bl_get_u64(&r);
        m->n = bl_get_u32(&r);
        m->round = bl_get_u64(&r);
        m->commit = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->ballot == 0 || m->ok > 1 || !range_ok(m->first, m->n))
                return BL_EPROTO;
        return 0;
}

int bl_paxos_decode_catchup(const void *buf, size_t len, struct bl_paxos_catchup *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->from = bl_get_u64(&r);
        m->snap_index = bl_get_u64(&r);
        m->snap_got = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->from == 0)
                return BL_EPROTO;
        return 0;
}

int bl_paxos_decode_learn(const void *buf, size_t len, struct bl_paxos_learn *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->commit = bl_get_u64(&r);
        m->first = bl_get_u64(&r);
        m->n = bl_get_u32(&r);
        if (!r.ok || !range_ok(m->first, m->n) || (m->n > 0 && m->first + m->n - 1 > m->commit))
                return BL_EPROTO;
        m->values = r.p + r.off;
        m->values_len = r.len - r.off;
        return bl_paxos_values_check(m->values, m->values_len, m->n, 0);
}

int bl_paxos_decode_snapshot(const void *buf, size_t len, struct bl_paxos_snapshot *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->index = bl_get_u64(&r);
        m->total = bl_get_u64(&r);
        m->offset = bl_get_u64(&r);
        if (!r.ok || m->index == 0)
                return BL_EPROTO;
        m->data = r.p + r.off;
        m->len = r.len - r.off;
        if (m->offset > m->total || m->len > m->total - m->offset)
                return BL_EPROTO;
        return 0;
}

int bl_paxos_decode_timeout_now(const void *buf, size_t len, struct bl_paxos_timeout_now *m)
{
        struct bl_rbuf r;

        bl_rbuf_init(&r, buf, len);
        m->ballot = bl_get_u64(&r);
        if (!bl_rbuf_done(&r) || m->ballot == 0)
                return BL_EPROTO;
        return 0;
}
