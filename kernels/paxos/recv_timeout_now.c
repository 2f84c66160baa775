/*
 * TimeoutNow, the last step of a leadership transfer (transfer.c): our
 * leader has every slot chosen and knows we hold them; it asks us to run
 * phase 1 now, without waiting for a timeout. The prepare is marked as a
 * transfer so that acceptors still hearing the old leader answer it.
 */
#include "kernels/paxos/recv.h"

#include "kernels/paxos/encode.h"
#include "kernels/paxos/phase1.h"

int bl_paxos_recv_timeout_now(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_timeout_now m;

        if (bl_paxos_decode_timeout_now(buf, len, &m) != 0)
                return BL_EPROTO;
        if (p->role != BL_PAXOS_FOLLOWER || p->leader != from || m.ballot != p->leader_ballot)
                return 0;
        bl_paxos_phase1_start(p, 1);
        return 0;
}
