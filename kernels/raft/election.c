/*
 * Leader election (Section 5.2) with the Pre-Vote phase of the dissertation
 * (Section 9.6).
 *
 * From Figure 2, Rules for Servers, Candidates: "On conversion to candidate,
 * start election: Increment currentTerm; Vote for self; Reset election timer;
 * Send RequestVote RPCs to all other servers. If votes received from majority
 * of servers: become leader."
 *
 * From Section 9.6: "In the Pre-Vote algorithm, a candidate only increments
 * its term if it first learns from a majority of the cluster that they would
 * be willing to grant the candidate their votes (if the candidate's log is
 * sufficiently up-to-date, and the voters have not received heartbeats from a
 * valid leader for at least a baseline election timeout)." A partitioned
 * server then cannot inflate its term and depose a working leader when it
 * rejoins.
 */
#include "kernels/raft/election.h"

#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"

static int popcount64(uint64_t v)
{
        int n = 0;

        for (; v != 0; v &= v - 1)
                n++;
        return n;
}

static void send_requests(struct bl_raft *r, int prevote)
{
        struct bl_raft_request_vote m = {
            .term = prevote ? r->term + 1 : r->term,
            .last_index = bl_raft_log_last_index(&r->log),
            .last_term = bl_raft_log_last_term(&r->log),
        };
        uint8_t buf[32];
        size_t len = bl_raft_encode_request_vote(&m, buf, sizeof(buf));
        int type = prevote ? BL_RAFT_MSG_PRE_VOTE : BL_RAFT_MSG_REQUEST_VOTE;

        for (int i = 0; i < r->g.nmembers; i++)
                if (i != r->g.self)
                        r->env.send(r->env.ctx, i, type, buf, len);
}

void bl_raft_election_start(struct bl_raft *r, int prevote)
{
        if (r->role == BL_RAFT_LEADER)
                bl_raft_become_follower(r, -1);
        r->role = BL_RAFT_CANDIDATE;
        r->leader = -1;
        r->in_prevote = prevote;
        r->votes = 0;
        if (!prevote) {
                r->term++;
                r->voted_for = r->g.self;
                bl_raft_persist_state(r);
                r->env.event(r->env.ctx, BL_EV_ELECTION, (int64_t)r->term, r->g.shard);
        }
        bl_raft_reset_election_timer(r);
        send_requests(r, prevote);
        /* Our own vote, once it is durable (a pre-vote binds nothing): a
         * vote forgotten in a crash could be given again in the same term.
         * With one member it is already a majority. */
        if (prevote || bl_raft_state_durable(r))
                bl_raft_election_tally(r, r->g.self);
}

void bl_raft_election_tally(struct bl_raft *r, int from)
{
        if (r->role != BL_RAFT_CANDIDATE)
                return;
        r->votes |= UINT64_C(1) << from;
        if (popcount64(r->votes) < r->quorum || !(r->votes & (UINT64_C(1) << r->g.self)))
                return;
        if (r->in_prevote)
                bl_raft_election_start(r, 0);
        else
                bl_raft_become_leader(r);
}

int bl_raft_election_up_to_date(const struct bl_raft *r, uint64_t last_index, uint64_t last_term)
{
        /* From Section 5.4.1: "If the logs have last entries with different
         * terms, then the log with the later term is more up-to-date. If the
         * logs end with the same term, then whichever log is longer is more
         * up-to-date." */
        uint64_t my_term = bl_raft_log_last_term(&r->log);

        if (last_term != my_term)
                return last_term > my_term;
        return last_index >= bl_raft_log_last_index(&r->log);
}
