/*
 * InstallSnapshotResult, leader side: the follower's state now covers the
 * snapshot's index, so the logs match up to it and replication resumes from
 * the entry after it. As for AppendEntriesResult, only an answer to a request
 * of our current term counts as contact or as a ReadIndex acknowledgement.
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/client.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/replication.h"

int bl_raft_recv_install_snapshot_result(struct bl_raft *r, int from, const void *buf, size_t len)
{
        struct bl_raft_install_snapshot_result res;
        struct bl_raft_progress *p;

        if (bl_raft_decode_install_snapshot_result(buf, len, &res) != 0)
                return BL_EPROTO;
        if (bl_raft_observe_term(r, res.term) || res.term < r->term || r->role != BL_RAFT_LEADER)
                return 0;
        if (res.req_term != r->term && !(r->mutations & BL_RAFT_MUT_STALE_ACKS))
                return 0;
        p = &r->peers[from];
        p->last_contact_ns = bl_raft_now(r);
        if (res.seq > p->acked_seq)
                p->acked_seq = res.seq;
        if (res.index > 0)
                bl_raft_progress_matched(r, from, res.index);
        bl_raft_reads_progress(r);
        return 0;
}
