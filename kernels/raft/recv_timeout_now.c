/*
 * TimeoutNow, on the target of a leadership transfer. From Section 3.10 of
 * the dissertation: "The prior leader sends a TimeoutNow request to the
 * target server. This request has the same effect as the target server's
 * election timer firing: the target server starts a new election
 * (incrementing its term and becoming a candidate)." The leader asked for
 * it, so the Pre-Vote phase, whose purpose is not to disturb a working
 * leader, is skipped.
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/convert.h"
#include "kernels/raft/election.h"
#include "kernels/raft/encode.h"

int bl_raft_recv_timeout_now(struct bl_raft *r, int from, const void *buf, size_t len)
{
        struct bl_raft_timeout_now m;

        if (bl_raft_decode_timeout_now(buf, len, &m) != 0)
                return BL_EPROTO;
        bl_raft_observe_term(r, m.term);
        /* Only the current leader of our term may ask. */
        if (m.term != r->term || r->role == BL_RAFT_LEADER)
                return 0;
        if (r->role == BL_RAFT_FOLLOWER && r->leader >= 0 && r->leader != from)
                return 0;
        bl_raft_election_start(r, 0);
        return 0;
}
