/*
 * Accepted (2b), leader side. From "Paxos Made Moderately Complex" (the
 * commander): "if the ballot in the p2b matches, the commander removes the
 * acceptor from its waitfor set [and] once it heard from a majority, the
 * command is decided"; "if it receives a higher ballot, the leader is
 * preempted".
 *
 * Each acceptance sets the acceptor's bit on the slots it covers; a slot is
 * chosen with q2 bits (phase2.c). Any answer in our ballot also shows the
 * acceptor still follows us: it counts for the leader's liveness check, for
 * the read round it echoes (client.c) and for a leadership transfer.
 */
#include "kernels/paxos/recv.h"

#include "kernels/paxos/client.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/phase1.h"
#include "kernels/paxos/phase2.h"
#include "kernels/paxos/transfer.h"

int bl_paxos_recv_accepted(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_accepted m;
        struct bl_paxos_peer *peer;

        if (bl_paxos_decode_accepted(buf, len, &m) != 0)
                return BL_EPROTO;
        if (!m.ok) {
                if (m.promised > p->ballot && m.ballot == p->ballot)
                        bl_paxos_preempted(p, m.promised, -1);
                return 0;
        }
        if (p->role != BL_PAXOS_LEADER || m.ballot != p->ballot)
                return 0;
        peer = &p->peers[from];
        peer->last_contact_ns = bl_paxos_now(p);
        if (m.round > peer->acked_round)
                peer->acked_round = m.round;
        if (m.commit > peer->commit)
                peer->commit = m.commit;
        for (uint32_t i = 0; i < m.n; i++) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, m.first + i);

                if (sl != NULL && sl->ballot == p->ballot && m.first + i < p->next_send)
                        sl->acks |= UINT64_C(1) << from;
        }
        bl_paxos_commit_advance(p);
        if (m.n > 0 && p->role == BL_PAXOS_LEADER && m.first > p->commit + 1)
                bl_paxos_fast_resend(p, from, m.first);
        if (p->role != BL_PAXOS_LEADER)
                return 0;
        bl_paxos_reads_progress(p);
        bl_paxos_transfer_progress(p);
        return 0;
}
