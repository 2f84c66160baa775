/*
 * Log compaction (Chapter 5 of the dissertation, Section 7 of the paper).
 *
 * From Section 7: "Each server takes snapshots independently, covering just
 * the committed entries in its log. [...] the leader must occasionally send
 * snapshots to followers that lag behind." The snapshot is the state
 * machine's own serialization (env->snapshot) at lastApplied; it is
 * persisted as a SNAPSHOT record (persist.c), which lets the storage drop the
 * records before it.
 */
#include "kernels/raft/snapshot.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"

void bl_raft_snapshot_maybe_take(struct bl_raft *r)
{
        void *buf = NULL;
        size_t len = 0;
        uint64_t index = r->applied;

        if (r->snapshot_entries == 0 || r->applying || index < r->snap.index + r->snapshot_entries)
                return;
        if (r->env.snapshot(r->env.ctx, &buf, &len) != 0)
                return;
        bl_free(r->snap.buf);
        r->snap.buf = buf;
        r->snap.len = len;
        r->snap.index = index;
        r->snap.term = bl_raft_log_term_of(&r->log, index);
        if (index > r->snapshot_entries)
                bl_raft_log_compact_to(&r->log, index - r->snapshot_entries);
        bl_raft_persist_snapshot(r);
}

void bl_raft_snapshot_send(struct bl_raft *r, int i)
{
        struct bl_raft_progress *p = &r->peers[i];
        struct bl_raft_install_snapshot m = {
            .term = r->term,
            .index = r->snap.index,
            .snap_term = r->snap.term,
            .seq = r->read_round,
            .data = r->snap.buf,
            .len = r->snap.len,
        };
        size_t size = BL_RAFT_INSTALL_SNAPSHOT_HEADER + r->snap.len;
        uint8_t *buf;
        uint64_t now = bl_raft_now(r);

        p->mode = BL_RAFT_SNAPSHOT;
        p->inflight = 0;
        p->inflight_front = 0;
        p->snapshot_index = r->snap.index;
        p->last_progress_ns = now; /* resend after an election timeout */
        buf = bl_raft_out_buf(r, size);
        if (buf == NULL)
                return;
        size = bl_raft_encode_install_snapshot(&m, buf, size);
        r->env.send(r->env.ctx, i, BL_RAFT_MSG_INSTALL_SNAPSHOT, buf, size);
        p->last_send_ns = now;
        r->env.event(r->env.ctx, BL_EV_SNAPSHOT_SEND, (int64_t)r->snap.index, i);
}
