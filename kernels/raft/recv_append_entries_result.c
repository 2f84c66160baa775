/*
 * AppendEntriesResult, leader side. An answer to a request of our current
 * term shows the follower still takes us as leader: it counts for the quorum
 * check (Section 6.2) and acknowledges the ReadIndex round it echoes (Section
 * 6.4). A success advances matchIndex; a rejection moves nextIndex back using
 * the follower's hint (Section 5.3) and restarts probing from there.
 *
 * An answer stamped with our term but given to a request of an earlier term
 * (req_term < term: a message we sent before a crash, still in flight or held
 * by a delay, rejected under rule 1 by a follower already in our new term)
 * proves nothing about now. Counting its seq would confirm ReadIndex rounds
 * of this leadership that nobody acknowledged, and a leader cut off from the
 * majority could then serve stale reads. It is ignored.
 */
#include "kernels/raft/recv.h"

#include "kernels/raft/client.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/replication.h"

/* Where to probe next after a rejection with hint res. */
static uint64_t backoff(const struct bl_raft *r, const struct bl_raft_progress *p,
                        const struct bl_raft_append_entries_result *res)
{
        uint64_t next;

        if (res->conflict_term == 0) {
                /* The follower's log is too short: continue after its end. */
                next = res->match + 1;
        } else {
                /* If we hold entries of the conflicting term, the logs agree
                 * up to our last one of that term (Log Matching); otherwise
                 * skip the follower's whole term. */
                uint64_t after = bl_raft_log_first_of_term(&r->log, res->conflict_term + 1);

                if (after - 1 > r->log.offset &&
                    bl_raft_log_term_of(&r->log, after - 1) == res->conflict_term)
                        next = after;
                else
                        next = res->conflict_index;
        }
        /* prevLogIndex = rejected does not match, so next <= rejected. */
        if (next > res->rejected)
                next = res->rejected;
        if (next <= p->match)
                next = p->match + 1;
        return next;
}

int bl_raft_recv_append_entries_result(struct bl_raft *r, int from, const void *buf, size_t len)
{
        struct bl_raft_append_entries_result res;
        struct bl_raft_progress *p;

        if (bl_raft_decode_append_entries_result(buf, len, &res) != 0)
                return BL_EPROTO;
        if (bl_raft_observe_term(r, res.term) || res.term < r->term || r->role != BL_RAFT_LEADER)
                return 0;
        if (res.req_term != r->term && !(r->mutations & BL_RAFT_MUT_STALE_ACKS))
                return 0;
        p = &r->peers[from];
        p->last_contact_ns = bl_raft_now(r);
        if (res.seq > p->acked_seq)
                p->acked_seq = res.seq;
        if (res.success) {
                bl_raft_progress_matched(r, from, res.match);
        } else if (res.conflict_term == 0 && res.match < p->match && p->mode != BL_RAFT_SNAPSHOT) {
                /* The follower holds fewer entries than it acknowledged: it
                 * came back from a crash whose torn log tail its storage cut
                 * off (a write that never completed). Raft assumes acked
                 * entries stay on disk; when the disk breaks that, matchIndex
                 * moves back to what the follower holds and probing restarts
                 * there. The commit index never moves back. A late rejection
                 * from before the follower caught up costs a resend only. */
                p->match = res.match;
                p->next = res.match + 1;
                p->mode = BL_RAFT_PROBE;
                p->inflight = 0;
                p->inflight_front = 0;
                bl_raft_replicate(r, from, 1);
        } else if (res.rejected > p->match && p->mode != BL_RAFT_SNAPSHOT &&
                   (p->mode == BL_RAFT_PIPELINE || res.rejected == p->next - 1)) {
                /* From Figure 2: "If AppendEntries fails because of log
                 * inconsistency: decrement nextIndex and retry". Rejections
                 * of requests older than what we know are ignored. */
                p->next = backoff(r, p, &res);
                p->mode = BL_RAFT_PROBE;
                p->inflight = 0;
                p->inflight_front = 0;
                bl_raft_replicate(r, from, 1);
        }
        bl_raft_reads_progress(r);
        return 0;
}
