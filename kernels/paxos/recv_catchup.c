/*
 * CatchUp: a learner that lags or has holes asks for chosen slots from
 * `from` on. Any member answers from what it knows is chosen (its commit
 * point): with a Learn of up to BL_PAXOS_LEARN_SLOTS slots, or, when it no
 * longer holds slot `from` (compacted into its snapshot), with the next
 * chunk of its snapshot. The learner pulls chunk after chunk, saying how
 * much of which snapshot it holds, so a lost chunk costs one retry and a
 * large store never travels in one message.
 */
#include "kernels/paxos/recv.h"

#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"

static void send_chunk(struct bl_paxos *p, int to, const struct bl_paxos_catchup *m)
{
        struct bl_paxos_snapshot c = {
            .index = p->snap.index,
            .total = p->snap.len,
            .offset = m->snap_index == p->snap.index ? m->snap_got : 0,
        };
        struct bl_wbuf w;
        uint8_t *buf;

        if (c.offset > c.total)
                c.offset = 0;
        c.len = c.total - c.offset < p->chunk_bytes ? (size_t)(c.total - c.offset)
                                                    : (size_t)p->chunk_bytes;
        c.data = (const uint8_t *)p->snap.buf + c.offset;
        buf = bl_paxos_out_buf(p, BL_PAXOS_SNAPSHOT_HEADER + c.len);
        if (buf == NULL)
                return;
        bl_wbuf_init(&w, buf, BL_PAXOS_SNAPSHOT_HEADER + c.len);
        bl_paxos_put_snapshot(&w, &c);
        p->env.send(p->env.ctx, to, BL_PAXOS_MSG_SNAPSHOT, buf, w.len);
        if (c.offset == 0)
                p->env.event(p->env.ctx, BL_EV_SNAPSHOT_SEND, (int64_t)p->snap.index, to);
}

static void send_learn(struct bl_paxos *p, int to, uint64_t from)
{
        struct bl_paxos_learn m = {.commit = p->commit, .first = from};
        uint64_t end = from - 1;
        size_t size = BL_PAXOS_LEARN_HEADER, bytes = 0;
        struct bl_wbuf w;
        uint8_t *buf;

        while (end < p->commit && end - from + 1 < BL_PAXOS_LEARN_SLOTS) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, end + 1);

                if (end >= from && bytes + sl->len > BL_PAXOS_MAX_MSG_BYTES)
                        break;
                bytes += sl->len;
                size += BL_PAXOS_WIRE_VALUE + sl->len;
                end++;
        }
        m.n = (uint32_t)(end - from + 1);
        buf = bl_paxos_out_buf(p, size);
        if (buf == NULL)
                return;
        bl_wbuf_init(&w, buf, size);
        bl_paxos_put_learn(&w, &m);
        for (uint64_t s = from; s <= end; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                bl_paxos_put_value(&w, sl->type, sl->buf, sl->len);
        }
        if (w.ok)
                p->env.send(p->env.ctx, to, BL_PAXOS_MSG_LEARN, buf, w.len);
}

int bl_paxos_recv_catchup(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_catchup m;

        if (bl_paxos_decode_catchup(buf, len, &m) != 0)
                return BL_EPROTO;
        if (m.from <= p->log.offset) {
                if (p->snap.index >= m.from)
                        send_chunk(p, from, &m);
                return 0;
        }
        if (m.from <= p->commit)
                send_learn(p, from, m.from);
        return 0;
}
