/*
 * Timers. The kernel keeps no timer objects: tick() compares env->now() with
 * deadlines and last-activity times, so the tick period only bounds how late
 * a timer fires.
 *
 * Followers and candidates: from Figure 2, "If election timeout elapses
 * without receiving AppendEntries RPC from current leader or granting vote
 * to candidate: convert to candidate", and for candidates "If election
 * timeout elapses: start new election" (with Pre-Vote first when enabled).
 *
 * Leaders: heartbeats "during idle periods to prevent election timeouts",
 * batches whose delay expired, in-flight AppendEntries that got no answer,
 * and the quorum check of Section 6.2: "a leader steps down if an election
 * timeout elapses without a successful round of heartbeats to a majority of
 * its cluster; this allows clients to retry their requests with another
 * server."
 */
#include "kernels/raft/tick.h"

#include "kernels/raft/apply.h"
#include "kernels/raft/client.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"
#include "kernels/raft/replication.h"
#include "kernels/raft/transfer.h"

static int quorum_alive(const struct bl_raft *r, uint64_t now)
{
        int n = 1;

        for (int i = 0; i < r->g.nmembers; i++)
                if (i != r->g.self && now - r->peers[i].last_contact_ns < r->election_ns)
                        n++;
        return n >= r->quorum;
}

static void leader_tick(struct bl_raft *r, uint64_t now)
{
        if (now - r->leader_since_ns >= r->election_ns && !quorum_alive(r, now)) {
                bl_raft_become_follower(r, -1);
                return;
        }
        bl_raft_transfer_tick(r);
        for (int i = 0; i < r->g.nmembers && r->role == BL_RAFT_LEADER; i++) {
                struct bl_raft_progress *p = &r->peers[i];

                if (i == r->g.self)
                        continue;
                /* Pipelined AppendEntries unanswered for two heartbeat
                 * periods were probably lost: probe again from matchIndex. */
                if (p->mode == BL_RAFT_PIPELINE && p->inflight > 0 &&
                    now - p->last_progress_ns >= 2 * r->heartbeat_ns) {
                        p->mode = BL_RAFT_PROBE;
                        p->inflight = 0;
                        p->inflight_front = 0;
                        p->next = p->match + 1;
                }
                bl_raft_replicate(r, i, 0);
        }
        bl_raft_reads_progress(r);
}

void bl_raft_tick(struct bl_raft *r)
{
        uint64_t now = bl_raft_now(r);

        if (r->applied < r->commit)
                bl_raft_apply_committed(r);
        if (r->role == BL_RAFT_LEADER) {
                leader_tick(r, now);
                return;
        }
        if (r->election_deadline_ns == UINT64_MAX && r->g.nmembers > 1) {
                bl_raft_reset_election_timer(r); /* first tick after create */
                return;
        }
        if (r->g.nmembers == 1 || now >= r->election_deadline_ns)
                bl_raft_election_start(r, r->prevote && r->g.nmembers > 1);
}
