/*
 * InstallSnapshot, follower side (Figure 13 of the paper, sent whole: no
 * chunks, so steps 2-5 collapse into "keep the snapshot"):
 *
 *   1. Reply immediately if term < currentTerm
 *   6. If existing log entry has same index and term as snapshot's last
 *      included entry, retain log entries following it and reply
 *   7. Discard the entire log
 *   8. Reset state machine using snapshot contents
 *
 * We take step 6 further: when our log already holds the snapshot's last
 * entry we keep the log and simply commit up to it, which applies the same
 * entries the snapshot summarizes without replacing the state machine.
 */
#include "kernels/raft/recv.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/raft/apply.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"
#include "kernels/raft/snapshot.h"

static void reply(struct bl_raft *r, int to, uint64_t index,
                  const struct bl_raft_install_snapshot *m)
{
        struct bl_raft_install_snapshot_result res = {
            .term = r->term, .index = index, .seq = m->seq, .req_term = m->term};
        uint8_t buf[32];
        size_t len = bl_raft_encode_install_snapshot_result(&res, buf, sizeof(buf));

        r->env.send(r->env.ctx, to, BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT, buf, len);
}

/* Steps 7 and 8. Returns 0, BL_EPROTO when the state machine refuses the
 * snapshot, or BL_ENOMEM; on failure our log and snapshot are unchanged and
 * the state machine is rebuilt from them. */
static int install(struct bl_raft *r, const struct bl_raft_install_snapshot *m)
{
        void *copy = NULL;
        int rc;

        if (m->len > 0) {
                copy = bl_malloc(m->len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, m->data, m->len);
        }
        rc = r->env.restore(r->env.ctx, m->data, m->len);
        if (rc != 0) {
                bl_free(copy);
                /* The store may be half-way: rebuild it from our snapshot
                 * and re-apply the committed entries after it. */
                r->env.restore(r->env.ctx, r->snap.buf, r->snap.len);
                r->applied = r->snap.index;
                bl_raft_apply_committed(r);
                return rc == BL_ENOMEM ? BL_ENOMEM : BL_EPROTO;
        }
        bl_free(r->snap.buf);
        r->snap.buf = copy;
        r->snap.len = m->len;
        r->snap.index = m->index;
        r->snap.term = m->snap_term;
        bl_raft_log_reset(&r->log, m->index, m->snap_term);
        /* Nothing of the old log counts as durable any more: the new one is
         * once the snapshot record is. The answer does not wait for it: a
         * snapshot holds committed entries only. */
        bl_raft_persist_cut(r, 1);
        bl_raft_persist_snapshot(r);
        r->commit = m->index;
        r->applied = m->index;
        r->env.event(r->env.ctx, BL_EV_SNAPSHOT_INSTALL, (int64_t)m->index, r->g.shard);
        return 0;
}

int bl_raft_recv_install_snapshot(struct bl_raft *r, int from, const void *buf, size_t len)
{
        struct bl_raft_install_snapshot m;
        int rc;

        if (bl_raft_decode_install_snapshot(buf, len, &m) != 0)
                return BL_EPROTO;
        /* Step 1. */
        if (m.term < r->term) {
                reply(r, from, 0, &m);
                return 0;
        }
        bl_raft_observe_term(r, m.term);
        if (r->role == BL_RAFT_LEADER)
                return 0;
        if (r->role == BL_RAFT_CANDIDATE || r->leader != from)
                bl_raft_become_follower(r, from);
        r->last_heard_ns = bl_raft_now(r);
        bl_raft_reset_election_timer(r);

        if (m.index <= r->applied) {
                /* Our state already covers it (a duplicate or a late copy). */
                reply(r, from, m.index, &m);
                return 0;
        }
        if (bl_raft_log_term_of(&r->log, m.index) == m.snap_term && m.index > r->log.offset) {
                /* Step 6: the log holds the snapshot's last entry. */
                if (m.index > r->commit)
                        r->commit = m.index;
                bl_raft_apply_committed(r);
                reply(r, from, m.index, &m);
                return 0;
        }
        rc = install(r, &m);
        if (rc == BL_EPROTO)
                return BL_EPROTO;
        if (rc == 0)
                reply(r, from, m.index, &m);
        return 0;
}
