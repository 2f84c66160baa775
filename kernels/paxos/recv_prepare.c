/*
 * Prepare (1a), acceptor side. From "Paxos Made Simple" (Section 2.2):
 *
 *   "If an acceptor receives a prepare request with number n greater than
 *   that of any prepare request to which it has already responded, then it
 *   responds to the request with a promise not to accept any more proposals
 *   numbered less than n and with the highest-numbered proposal (if any)
 *   that it has accepted."
 *
 * In Multi-Paxos the prepare covers every slot from `from` on, so the
 * promise carries every value accepted in those slots ("Paxos Made
 * Moderately Complex": the p1b message carries the acceptor's set of
 * accepted pvalues). The promise is persisted and the answer leaves only
 * once it is durable. A prepare below our promise is refused with the
 * ballot we promised, so that its sender can move past it. An acceptor
 * that heard a live leader within the base timeout refuses without
 * promising (phase1.c), unless the prepare comes from a transfer. A probe
 * (phase1.c) gets the answer a prepare would get, and changes nothing.
 */
#include "kernels/paxos/recv.h"

#include "common/alloc.h"
#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"
#include "kernels/paxos/phase1.h"

static void refuse(struct bl_paxos *p, int to, uint64_t ballot, int ok)
{
        struct bl_paxos_promise m = {
            .ballot = ballot,
            .ok = (uint8_t)ok,
            .promised = p->promised,
            .commit = p->commit,
            .offset = p->log.offset,
        };
        uint8_t buf[BL_PAXOS_PROMISE_HEADER];
        struct bl_wbuf w;

        bl_wbuf_init(&w, buf, sizeof(buf));
        bl_paxos_put_promise(&w, &m);
        bl_paxos_reply(p, to, BL_PAXOS_MSG_PROMISE, buf, w.len);
}

/* Whether we still hear a leader other than `from` (stickiness). */
static int leader_alive(const struct bl_paxos *p, int from)
{
        uint64_t now = bl_paxos_now(p);

        if (p->role == BL_PAXOS_LEADER) {
                int alive = 1;

                for (int i = 0; i < p->g.nmembers; i++)
                        if (i != p->g.self && now - p->peers[i].last_contact_ns < p->election_ns)
                                alive++;
                return alive >= p->q2 && now - p->leader_since_ns >= p->heartbeat_ns;
        }
        return p->role == BL_PAXOS_FOLLOWER && p->leader >= 0 && p->leader != from &&
               now - p->last_heard_ns < p->election_ns;
}

static void promise(struct bl_paxos *p, int to, const struct bl_paxos_prepare *m)
{
        struct bl_paxos_promise r = {
            .ballot = m->ballot,
            .ok = BL_PAXOS_PROMISED,
            .promised = p->promised,
            .commit = p->commit,
            .offset = p->log.offset,
        };
        uint64_t first = m->from > p->log.offset ? m->from : p->log.offset + 1;
        uint64_t last = bl_paxos_log_last(&p->log);
        size_t size = BL_PAXOS_PROMISE_HEADER;
        struct bl_wbuf w;
        uint8_t *buf;

        for (uint64_t s = first; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl->ballot != 0) {
                        size += BL_PAXOS_WIRE_PROMISE_VALUE + sl->len;
                        r.n++;
                }
        }
        buf = bl_malloc(size);
        if (buf == NULL)
                return; /* the candidate times out and tries again */
        bl_wbuf_init(&w, buf, size);
        bl_paxos_put_promise(&w, &r);
        for (uint64_t s = first; s <= last; s++) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl->ballot != 0)
                        bl_paxos_put_promise_value(&w, s, sl->ballot, sl->type, sl->buf, sl->len);
        }
        if (w.ok)
                bl_paxos_reply(p, to, BL_PAXOS_MSG_PROMISE, buf, w.len);
        bl_free(buf);
}

int bl_paxos_recv_prepare(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_prepare m;

        if (bl_paxos_decode_prepare(buf, len, &m) != 0)
                return BL_EPROTO;
        if ((m.ballot & ((1u << BL_PAXOS_MEMBER_BITS) - 1)) != (uint64_t)from)
                return BL_EPROTO; /* a ballot names its proposer */
        if (m.probe) {
                /* Would we promise? Nothing changes here. */
                refuse(p, from, m.ballot,
                       m.ballot > p->promised && !leader_alive(p, from) ? BL_PAXOS_WOULD
                                                                        : BL_PAXOS_REFUSED);
                return 0;
        }
        if (m.ballot < p->promised) {
                refuse(p, from, m.ballot, BL_PAXOS_REFUSED);
                return 0;
        }
        if (m.ballot > p->promised) {
                if (!m.force && leader_alive(p, from)) {
                        refuse(p, from, m.ballot, BL_PAXOS_REFUSED);
                        return 0;
                }
                p->promised = m.ballot;
                bl_paxos_persist_promise(p);
                /* Our own candidacy or leadership is over. */
                bl_paxos_preempted(p, m.ballot, -1);
                p->leader = -1;
                bl_paxos_reset_timer(p);
        }
        promise(p, from, &m);
        return 0;
}
