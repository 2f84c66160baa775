/*
 * Stable storage of an acceptor. From "Paxos Made Live" (Section 5.1):
 * Paxos "requires each replica to persistently log [...] its promise and
 * its accepted value before it replies", and an acceptor that forgets
 * either after a crash can let two values be chosen for one slot.
 *
 * Three records (internal.h): PROMISE (the promised ballot), ACCEPT (an
 * Accept message as received or sent: ballot and consecutive slots) and
 * CHECKPOINT (promised ballot, snapshot of the state machine, and every
 * accepted slot after it), which supersedes all earlier records. Replay in
 * persist order rebuilds exactly the acceptor state that was durable.
 *
 * Replies that depend on records (promises, accepts, and for simplicity
 * every reply an acceptor sends) wait in a FIFO until durable(seq) covers
 * the latest record persisted when they were produced. A leader counts its
 * own acceptance of a slot only once that slot's record is durable
 * (phase2.c), and sends its prepares only once its own promise is (phase1.c):
 * a leader that crashed before its promise was durable could otherwise come
 * back, pick the same ballot again and propose a second value in it.
 */
#include "kernels/paxos/persist.h"

#include <string.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/phase1.h"
#include "kernels/paxos/phase2.h"

static uint64_t persist(struct bl_paxos *p, int type, const void *buf, size_t len)
{
        uint64_t seq = p->env.persist(p->env.ctx, type, buf, len);

        if (seq > p->persisted_seq)
                p->persisted_seq = seq;
        return seq;
}

uint64_t bl_paxos_persist_promise(struct bl_paxos *p)
{
        uint8_t buf[8];
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_put_u64(&w, p->promised);
        return persist(p, BL_PAXOS_REC_PROMISE, buf, w.len);
}

uint64_t bl_paxos_persist_accept(struct bl_paxos *p, const void *msg, size_t len)
{
        return persist(p, BL_PAXOS_REC_ACCEPT, msg, len);
}

int bl_paxos_checkpoint(struct bl_paxos *p)
{
        uint64_t from = p->snap.index + 1, last = bl_paxos_log_last(&p->log);
        size_t size = 8 + 8 + 8 + p->snap.len + 4;
        uint32_t n = 0;
        struct bl_wbuf w;
        uint8_t *buf;
        uint64_t seq;

        for (uint64_t s = from; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl != NULL && sl->ballot != 0) {
                        size += BL_PAXOS_WIRE_PROMISE_VALUE + sl->len;
                        n++;
                }
        }
        buf = bl_malloc(size);
        if (buf == NULL)
                return BL_ENOMEM;
        bl_wbuf_init(&w, buf, size);
        bl_put_u64(&w, p->promised);
        bl_put_u64(&w, p->snap.index);
        bl_put_u64(&w, p->snap.len);
        bl_put_bytes(&w, p->snap.buf, p->snap.len);
        bl_put_u32(&w, n);
        for (uint64_t s = from; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl != NULL && sl->ballot != 0)
                        bl_paxos_put_promise_value(&w, s, sl->ballot, sl->type, sl->buf, sl->len);
        }
        seq = persist(p, BL_PAXOS_REC_CHECKPOINT, buf, w.len);
        bl_free(buf);
        if (seq != 0)
                p->checkpoint_seq = seq;
        return 0;
}

static int deferred_grow(struct bl_paxos *p)
{
        size_t cap = p->def_cap == 0 ? 16 : 2 * p->def_cap;
        struct bl_paxos_deferred *a = bl_malloc(cap * sizeof(*a));

        if (a == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < p->def_n; i++)
                a[i] = p->deferred[(p->def_head + i) % p->def_cap];
        bl_free(p->deferred);
        p->deferred = a;
        p->def_cap = cap;
        p->def_head = 0;
        return 0;
}

void bl_paxos_reply(struct bl_paxos *p, int to, int type, const void *buf, size_t len)
{
        struct bl_paxos_deferred *d;
        uint8_t *copy;

        if (p->durable_seq >= p->persisted_seq && p->def_n == 0) {
                p->env.send(p->env.ctx, to, type, buf, len);
                return;
        }
        /* Out of memory or too many waiting: drop it, the peer retries. */
        if (p->def_n >= BL_PAXOS_MAX_DEFERRED || (p->def_n == p->def_cap && deferred_grow(p) != 0))
                return;
        copy = bl_malloc(len > 0 ? len : 1);
        if (copy == NULL)
                return;
        memcpy(copy, buf, len);
        d = &p->deferred[(p->def_head + p->def_n) % p->def_cap];
        d->seq = p->persisted_seq;
        d->to = to;
        d->type = type;
        d->len = len;
        d->buf = copy;
        p->def_n++;
}

void bl_paxos_deferred_free(struct bl_paxos *p)
{
        for (size_t i = 0; i < p->def_n; i++)
                bl_free(p->deferred[(p->def_head + i) % p->def_cap].buf);
        p->def_n = 0;
        p->def_head = 0;
        bl_free(p->deferred);
        p->deferred = NULL;
        p->def_cap = 0;
}

void bl_paxos_durable(void *k, uint64_t seq)
{
        struct bl_paxos *p = k;

        if (seq <= p->durable_seq)
                return;
        p->durable_seq = seq;
        while (p->def_n > 0) {
                struct bl_paxos_deferred *d = &p->deferred[p->def_head];

                if (d->seq > seq)
                        break;
                p->env.send(p->env.ctx, d->to, d->type, d->buf, d->len);
                bl_free(d->buf);
                p->def_head = (p->def_head + 1) % p->def_cap;
                p->def_n--;
        }
        if (p->checkpoint_seq != 0 && seq >= p->checkpoint_seq) {
                if (p->env.compact != NULL)
                        p->env.compact(p->env.ctx, p->checkpoint_seq - 1);
                p->checkpoint_seq = 0;
        }
        if (!p->started)
                return;
        if (p->role == BL_PAXOS_CANDIDATE)
                bl_paxos_phase1_durable(p);
        else if (p->role == BL_PAXOS_LEADER)
                bl_paxos_commit_advance(p);
}

/* ---- replay ---- */

static int replay_promise(struct bl_paxos *p, const void *buf, size_t len)
{
        struct bl_rbuf r;
        uint64_t b;

        bl_rbuf_init(&r, buf, len);
        b = bl_get_u64(&r);
        if (!bl_rbuf_done(&r))
                return BL_EPROTO;
        if (b > p->promised)
                p->promised = b;
        return 0;
}

static int replay_accept(struct bl_paxos *p, const void *buf, size_t len)
{
        struct bl_paxos_accept m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;

        if (bl_paxos_decode_accept(buf, len, &m) != 0)
                return BL_EPROTO;
        if (m.ballot > p->promised)
                p->promised = m.ballot;
        bl_rbuf_init(&r, m.values, m.values_len);
        for (uint32_t i = 0; i < m.n; i++) {
                bl_paxos_values_next(&r, 0, &v);
                if (bl_paxos_log_set(&p->log, m.first + i, m.ballot, v.type, v.buf, v.len) != 0)
                        return BL_ENOMEM;
        }
        return 0;
}

static int replay_checkpoint(struct bl_paxos *p, const void *buf, size_t len)
{
        struct bl_rbuf r;
        struct bl_paxos_wire_value v;
        uint64_t promised, index, slen;
        const uint8_t *sbuf;
        void *copy = NULL;
        uint32_t n;

        bl_rbuf_init(&r, buf, len);
        promised = bl_get_u64(&r);
        index = bl_get_u64(&r);
        slen = bl_get_u64(&r);
        if (!r.ok || slen > len)
                return BL_EPROTO;
        sbuf = bl_get_bytes(&r, (size_t)slen);
        n = bl_get_u32(&r);
        if (!r.ok || bl_paxos_values_check(r.p + r.off, r.len - r.off, n, 1) != 0)
                return BL_EPROTO;
        if (slen > 0) {
                copy = bl_malloc((size_t)slen);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, sbuf, (size_t)slen);
        }
        bl_free(p->snap.buf);
        p->snap.buf = copy;
        p->snap.len = (size_t)slen;
        p->snap.index = index;
        if (promised > p->promised)
                p->promised = promised;
        bl_paxos_log_reset(&p->log, index);
        for (uint32_t i = 0; i < n; i++) {
                bl_paxos_values_next(&r, 1, &v);
                if (v.slot > index &&
                    bl_paxos_log_set(&p->log, v.slot, v.ballot, v.type, v.buf, v.len) != 0)
                        return BL_ENOMEM;
        }
        return 0;
}

int bl_paxos_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_paxos *p = k;

        if (seq > p->persisted_seq)
                p->persisted_seq = seq;
        if (seq > p->durable_seq)
                p->durable_seq = seq; /* what is replayed was durable */
        switch (type) {
        case BL_PAXOS_REC_PROMISE:
                return replay_promise(p, buf, len);
        case BL_PAXOS_REC_ACCEPT:
                return replay_accept(p, buf, len);
        case BL_PAXOS_REC_CHECKPOINT:
                return replay_checkpoint(p, buf, len);
        default:
                return BL_EPROTO;
        }
}
