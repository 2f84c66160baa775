/*
 * Leadership transfer, after Raft's (dissertation Section 3.10), in Paxos
 * terms:
 *
 *   1. The leader stops accepting new commands (submit: BL_EBUSY).
 *   2. It waits until every slot it sent is chosen and the target reports
 *      that commit point (the target then holds every chosen value).
 *   3. It sends TimeoutNow; the target runs phase 1 at once with a higher
 *      ballot, marked as a transfer so acceptors answer it.
 *
 * The target's prepare preempts us. If that has not happened within an
 * election timeout, we serve again.
 */
#include "kernels/paxos/transfer.h"

#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/phase2.h"

void bl_paxos_transfer_progress(struct bl_paxos *p)
{
        struct bl_paxos_timeout_now m = {.ballot = p->ballot};
        uint8_t buf[16];
        size_t len;
        int t = p->transfer_to;

        if (p->role != BL_PAXOS_LEADER || t < 0 || p->timeout_now_sent)
                return;
        if (p->next_send <= bl_paxos_log_last(&p->log) || p->commit + 1 < p->next_send ||
            p->peers[t].commit < p->commit)
                return;
        len = bl_paxos_encode_timeout_now(&m, buf, sizeof(buf));
        p->env.send(p->env.ctx, t, BL_PAXOS_MSG_TIMEOUT_NOW, buf, len);
        p->timeout_now_sent = 1;
}

void bl_paxos_transfer_tick(struct bl_paxos *p)
{
        if (p->transfer_to >= 0 && bl_paxos_now(p) >= p->transfer_deadline_ns)
                p->transfer_to = -1;
}

int bl_paxos_transfer(void *k, int member)
{
        struct bl_paxos *p = k;

        if (!p->started || p->role != BL_PAXOS_LEADER)
                return BL_ENOTLEADER;
        if (member < 0) {
                /* The member that reported the highest commit point. */
                for (int i = 0; i < p->g.nmembers; i++)
                        if (i != p->g.self &&
                            (member < 0 || p->peers[i].commit > p->peers[member].commit))
                                member = i;
        }
        if (member < 0 || member >= p->g.nmembers || member == p->g.self)
                return BL_EINVAL;
        if (p->transfer_to >= 0)
                return BL_EBUSY;
        p->transfer_to = member;
        p->transfer_deadline_ns = bl_paxos_now(p) + p->election_ns;
        p->timeout_now_sent = 0;
        p->env.event(p->env.ctx, BL_EV_TRANSFER, (int64_t)p->ballot, member);
        bl_paxos_send_batches(p, 1);
        /* The heartbeat tells the target our commit point; its answer
         * reports its own. */
        bl_paxos_heartbeat(p);
        bl_paxos_transfer_progress(p);
        return 0;
}
