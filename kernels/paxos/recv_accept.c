/*
 * Accept (2a), acceptor and learner side. From "Paxos Made Simple"
 * (Section 2.2): "If an acceptor receives an accept request for a proposal
 * numbered n, it accepts the proposal unless it has already responded to a
 * prepare request having a number greater than n."
 *
 * Accepting a ballot above our promise also promises it. The accepted slots
 * are persisted (the message itself is the record) and the answer leaves
 * once durable; a refusal carries the ballot we promised, which preempts the
 * sender. An Accept without slots is a heartbeat: it keeps us from starting
 * phase 1, and its answer confirms a read round (client.c).
 *
 * Every Accept carries the leader's commit point: slots up to it that we
 * accepted in the leader's ballot are chosen (learn.c); we ask for those we
 * miss. A value replacing a different one we proposed ends that proposal
 * (dropped: the client retries elsewhere). Slots far beyond our commit
 * point are not stored: we are too far behind and catch up first.
 */
#include "kernels/paxos/recv.h"

#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"
#include "kernels/paxos/phase1.h"

static void answer(struct bl_paxos *p, int to, const struct bl_paxos_accept *m, int ok, uint32_t n)
{
        struct bl_paxos_accepted r = {
            .ballot = m->ballot,
            .ok = (uint8_t)ok,
            .promised = p->promised,
            .first = n > 0 ? m->first : 0,
            .n = n,
            .round = m->round,
            .commit = p->commit,
        };
        uint8_t buf[64];
        size_t len = bl_paxos_encode_accepted(&r, buf, sizeof(buf));

        bl_paxos_reply(p, to, BL_PAXOS_MSG_ACCEPTED, buf, len);
}

/* Store one accepted value; returns 0 or BL_ENOMEM. */
static int store(struct bl_paxos *p, uint64_t s, uint64_t ballot,
                 const struct bl_paxos_wire_value *v)
{
        struct bl_paxos_slot *sl;
        uint64_t tag = 0;

        if (s <= p->commit)
                return 0; /* chosen: the value is the same */
        sl = bl_paxos_log_get(&p->log, s);
        if (sl != NULL && sl->tag != 0) {
                if (bl_paxos_slot_same(sl, v->type, v->buf, v->len))
                        tag = sl->tag;
                else
                        p->env.dropped(p->env.ctx, sl->tag);
                sl->tag = 0;
        }
        if (bl_paxos_log_set(&p->log, s, ballot, v->type, v->buf, v->len) != 0) {
                if (tag != 0)
                        p->env.dropped(p->env.ctx, tag);
                return BL_ENOMEM;
        }
        bl_paxos_log_get(&p->log, s)->tag = tag;
        return 0;
}

int bl_paxos_recv_accept(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_accept m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;
        uint32_t stored = 0;

        if (bl_paxos_decode_accept(buf, len, &m) != 0)
                return BL_EPROTO;
        if ((m.ballot & ((1u << BL_PAXOS_MEMBER_BITS) - 1)) != (uint64_t)from)
                return BL_EPROTO;
        if (m.ballot < p->promised) {
                answer(p, from, &m, 0, 0);
                return 0;
        }
        if (p->role != BL_PAXOS_FOLLOWER)
                bl_paxos_preempted(p, m.ballot, from);
        if (m.ballot != p->leader_ballot)
                p->leader_commit = 0;
        p->leader = from;
        p->leader_ballot = m.ballot;
        if (m.commit > p->leader_commit)
                p->leader_commit = m.commit;
        p->last_heard_ns = bl_paxos_now(p);
        p->backoff = 0;
        bl_paxos_reset_timer(p);
        if (m.n > 0 && m.first + m.n - 1 > p->commit + 4 * (uint64_t)BL_PAXOS_MAX_UNCHOSEN) {
                bl_paxos_catchup_maybe(p, -1, 0);
                return 0;
        }
        if (m.ballot > p->promised) {
                p->promised = m.ballot;
                if (m.n == 0)
                        bl_paxos_persist_promise(p);
        }
        bl_rbuf_init(&r, m.values, m.values_len);
        for (uint32_t i = 0; i < m.n; i++) {
                bl_paxos_values_next(&r, 0, &v);
                if (store(p, m.first + i, m.ballot, &v) != 0)
                        break;
                stored++;
        }
        /* On a partial store (out of memory) the record still covers every
         * slot (replaying more than we hold is harmless: each is a value the
         * leader proposed in this ballot), but we acknowledge none. */
        if (m.n > 0)
                bl_paxos_persist_accept(p, buf, len);
        /* Learn first, so that the answer reports the commit point we reach
         * (a leadership transfer waits for it). */
        bl_paxos_follower_commit(p);
        answer(p, from, &m, 1, stored == m.n ? m.n : 0);
        bl_paxos_catchup_maybe(p, -1, 0);
        return 0;
}
