/*
 * Timers. The kernel keeps no timer objects: tick() compares env->now()
 * with deadlines and last-activity times, so the tick period only bounds
 * how late a timer fires.
 *
 * Followers and candidates: when the leader stays silent past the
 * randomized deadline, run phase 1 (phase1.c); a candidate whose phase 1
 * did not complete by then tries again with a higher ballot. Followers that
 * know the leader chose slots they miss ask for them.
 *
 * Leaders: partial batches whose delay expired, heartbeats in idle periods
 * (they carry the commit point), Accepts unanswered for two heartbeats
 * resent to the members that did not accept, and a liveness check: a leader
 * that heard from fewer than q2 - 1 others for an election timeout cannot
 * choose anything and steps down, so clients look elsewhere.
 */
#include "kernels/paxos/tick.h"

#include "kernels/paxos/client.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/phase1.h"
#include "kernels/paxos/phase2.h"
#include "kernels/paxos/transfer.h"

static int quorum_alive(const struct bl_paxos *p, uint64_t now)
{
        int n = 1;

        for (int i = 0; i < p->g.nmembers; i++)
                if (i != p->g.self && now - p->peers[i].last_contact_ns < p->election_ns)
                        n++;
        return n >= p->q2;
}

static void leader_tick(struct bl_paxos *p, uint64_t now)
{
        if (now - p->leader_since_ns >= p->election_ns && !quorum_alive(p, now)) {
                bl_paxos_become_follower(p, -1);
                return;
        }
        bl_paxos_transfer_tick(p);
        bl_paxos_send_batches(p, 0);
        bl_paxos_resend(p);
        if (now - p->last_hb_ns >= p->heartbeat_ns)
                bl_paxos_heartbeat(p);
        bl_paxos_reads_progress(p);
}

void bl_paxos_tick(void *k)
{
        struct bl_paxos *p = k;
        uint64_t now;

        if (!p->started)
                return;
        now = bl_paxos_now(p);
        if (p->applied < p->commit)
                bl_paxos_apply_chosen(p);
        if (p->role == BL_PAXOS_LEADER) {
                leader_tick(p, now);
                return;
        }
        if (p->g.nmembers == 1 || now >= p->deadline_ns) {
                if (p->role == BL_PAXOS_CANDIDATE)
                        p->backoff++;
                bl_paxos_phase1_start(p, 0);
                return;
        }
        bl_paxos_catchup_maybe(p, -1, 0);
}
