/*
 * RequestVoteResult and PreVoteResult, candidate side. Only answers to the
 * current round count: a vote for our current term, or a pre-vote for the
 * term we would take (current + 1). A refusal from a server with a later term
 * makes us adopt it and return to follower (Figure 2, All Servers).
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"
#include "kernels/raft/encode.h"

int bl_raft_recv_request_vote_result(struct bl_raft *r, int from, const void *buf, size_t len,
                                     int prevote)
{
        struct bl_raft_request_vote_result res;

        if (bl_raft_decode_request_vote_result(buf, len, &res) != 0)
                return BL_EPROTO;
        if (prevote) {
                /* A granted pre-vote carries the proposed term, which nobody
                 * has taken: it must not make us adopt it. */
                if (!res.granted) {
                        bl_raft_observe_term(r, res.term);
                        return 0;
                }
                if (r->role == BL_RAFT_CANDIDATE && r->in_prevote && res.term == r->term + 1)
                        bl_raft_election_tally(r, from);
                return 0;
        }
        if (bl_raft_observe_term(r, res.term))
                return 0;
        if (r->role == BL_RAFT_CANDIDATE && !r->in_prevote && res.term == r->term && res.granted)
                bl_raft_election_tally(r, from);
        return 0;
}
