/*
 * RequestVote and PreVote, voter side.
 *
 * From Figure 2, RequestVote RPC, Receiver implementation:
 *
 *   1. Reply false if term < currentTerm
 *   2. If votedFor is null or candidateId, and candidate's log is at least
 *      as up-to-date as receiver's log, grant vote
 *
 * From Section 9.6 (Pre-Vote): a server grants a pre-vote "if the
 * candidate's log is sufficiently up-to-date, and the voters have not
 * received heartbeats from a valid leader for at least a baseline election
 * timeout". A pre-vote changes nothing on the voter: no term, no votedFor,
 * no timer. Its answer carries the proposed term when granted, so a voter
 * whose own term is behind (it was partitioned) still counts for the
 * candidate.
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/persist.h"

static void reply(struct bl_raft *r, int to, int prevote, uint64_t term, int granted)
{
        struct bl_raft_request_vote_result res = {.term = term, .granted = (uint8_t)granted};
        uint8_t buf[16];
        size_t len = bl_raft_encode_request_vote_result(&res, buf, sizeof(buf));

        r->env.send(r->env.ctx, to,
                    prevote ? BL_RAFT_MSG_PRE_VOTE_RESULT : BL_RAFT_MSG_REQUEST_VOTE_RESULT, buf,
                    len);
}

/* Whether we heard from a live leader within the last election timeout. */
static int leader_alive(const struct bl_raft *r)
{
        if (r->role == BL_RAFT_LEADER)
                return 1;
        return r->leader >= 0 && bl_raft_now(r) - r->last_heard_ns < r->election_ns;
}

static int recv_prevote(struct bl_raft *r, int from, const struct bl_raft_request_vote *m)
{
        int granted = m->term > r->term && !leader_alive(r) &&
                      bl_raft_election_up_to_date(r, m->last_index, m->last_term);

        reply(r, from, 1, granted ? m->term : r->term, granted);
        return 0;
}

int bl_raft_recv_request_vote(struct bl_raft *r, int from, const void *buf, size_t len, int prevote)
{
        struct bl_raft_request_vote m;
        int granted = 0;

        if (bl_raft_decode_request_vote(buf, len, &m) != 0)
                return BL_EPROTO;
        if (prevote)
                return recv_prevote(r, from, &m);
        bl_raft_observe_term(r, m.term);
        if (m.term == r->term && (r->voted_for < 0 || r->voted_for == from) &&
            bl_raft_election_up_to_date(r, m.last_index, m.last_term)) {
                granted = 1;
                if (r->voted_for != from) {
                        r->voted_for = from;
                        if (!(r->mutations & BL_RAFT_MUT_VOTE_UNPERSISTED))
                                bl_raft_persist_state(r);
                }
                /* From Figure 2, Rules for Servers, Followers: the election
                 * timer restarts when "granting vote to candidate". */
                bl_raft_reset_election_timer(r);
        }
        if (granted && !bl_raft_state_durable(r)) {
                /* "Updated on stable storage before responding": the
                 * grant goes out from durable() (persist.c). */
                r->vote.to = from;
                r->vote.term = r->term;
                return 0;
        }
        reply(r, from, 0, r->term, granted);
        return 0;
}
