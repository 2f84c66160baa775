/*
 * Learn: chosen values, the answer to a CatchUp. From "Paxos Made
 * Moderately Complex": a replica receiving a decision "adds it to its set
 * of decisions" and applies what became contiguous. Values arrive from our
 * commit point on; each is stored as chosen (learn.c) and the commit point
 * moves over it. If the sender knows more, we ask again at once.
 */
#include "kernels/paxos/recv.h"

#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"

int bl_paxos_recv_learn(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_learn m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;
        uint64_t before = p->commit;

        if (bl_paxos_decode_learn(buf, len, &m) != 0)
                return BL_EPROTO;
        if (p->role == BL_PAXOS_LEADER)
                return 0; /* a leader knows at least what it asked a quorum */
        bl_rbuf_init(&r, m.values, m.values_len);
        for (uint32_t i = 0; i < m.n; i++) {
                uint64_t s = m.first + i;

                bl_paxos_values_next(&r, 0, &v);
                if (s <= p->commit)
                        continue;
                if (s > p->commit + 1 || bl_paxos_learn_value(p, v.type, v.buf, v.len) != 0)
                        break;
        }
        if (p->commit == before)
                return 0;
        bl_paxos_apply_chosen(p);
        bl_paxos_follower_commit(p);
        if (m.commit > p->commit)
                bl_paxos_catchup_maybe(p, from, 1);
        return 0;
}
