/*
 * Learners. From "Paxos Made Moderately Complex" (the replica): a replica
 * "applies [decisions] in slot order": slot s is applied only after every
 * slot before it, whatever order decisions arrive in.
 *
 * The commit point is the last slot of the prefix this replica knows to be
 * chosen and holds the value of. A follower learns it from the leader's
 * Accepts and heartbeats: slot s <= the leader's commit point is chosen with
 * the value the leader proposed for it in its ballot, so a slot we accepted
 * in that very ballot holds the chosen value. A slot we hold from an older
 * ballot, or a hole, may differ: for those we ask (CatchUp) and the answer
 * (Learn) carries chosen values. Past the leader's compaction point the
 * answer is the snapshot, in chunks (recv_snapshot.c).
 *
 * Snapshots (as Raft's Chapter 5, applied to slots): every snapshot_entries
 * applied slots the state machine is serialized and checkpointed with the
 * promised ballot and the accepted slots after it (persist.c); the log
 * keeps snapshot_entries applied slots before it in memory to serve
 * learners that lag a little.
 */
#include "kernels/paxos/learn.h"

#include "common/alloc.h"
#include "kernels/paxos/client.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"

static void snapshot_maybe_take(struct bl_paxos *p)
{
        void *buf = NULL;
        size_t len = 0;
        uint64_t index = p->applied;

        if (p->snapshot_entries == 0 || p->applying || index < p->snap.index + p->snapshot_entries)
                return;
        if (p->env.snapshot(p->env.ctx, &buf, &len) != 0)
                return;
        bl_free(p->snap.buf);
        p->snap.buf = buf;
        p->snap.len = len;
        p->snap.index = index;
        bl_paxos_checkpoint(p);
        if (index > p->snapshot_entries)
                bl_paxos_log_compact_to(&p->log, index - p->snapshot_entries);
}

void bl_paxos_apply_chosen(struct bl_paxos *p)
{
        if (p->applying)
                return;
        p->applying = 1;
        while (p->applied < p->commit) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, p->applied + 1);
                const void *buf;
                uint32_t len;
                uint64_t tag;

                if (sl == NULL)
                        break; /* cannot happen: applied >= log offset */
                p->applied++;
                tag = sl->tag;
                sl->tag = 0;
                if (sl->type != BL_PAXOS_CMD) {
                        if (tag != 0)
                                p->env.dropped(p->env.ctx, tag);
                        continue;
                }
                /* The slot may move if the callback submits; its value
                 * does not, and chosen slots are never overwritten. */
                buf = sl->buf;
                len = sl->len;
                p->env.apply(p->env.ctx, buf, len, p->applied, tag);
        }
        p->applying = 0;
        bl_paxos_reads_progress(p);
        snapshot_maybe_take(p);
}

void bl_paxos_follower_commit(struct bl_paxos *p)
{
        uint64_t before = p->commit;

        if (p->role == BL_PAXOS_LEADER)
                return;
        while (p->commit < p->leader_commit) {
                const struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, p->commit + 1);

                /* A value learned as chosen (a checkpoint's tail) counts too. */
                if (sl == NULL || (sl->ballot != p->leader_ballot && sl->ballot != BL_PAXOS_CHOSEN))
                        break;
                p->commit++;
        }
        if (p->commit != before)
                bl_paxos_apply_chosen(p);
}

void bl_paxos_catchup_maybe(struct bl_paxos *p, int to, int now)
{
        struct bl_paxos_catchup m = {.from = p->commit + 1};
        uint64_t t = bl_paxos_now(p);
        uint8_t buf[32];
        size_t len;

        if (to < 0) {
                if (p->role != BL_PAXOS_FOLLOWER || p->leader < 0 || p->leader_commit <= p->commit)
                        return;
                to = p->leader;
        }
        if (!now && p->catchup_from == m.from && t - p->catchup_sent_ns < p->heartbeat_ns)
                return;
        if (p->in.buf != NULL && p->in.from == to) {
                m.snap_index = p->in.index;
                m.snap_got = p->in.got;
        }
        len = bl_paxos_encode_catchup(&m, buf, sizeof(buf));
        p->env.send(p->env.ctx, to, BL_PAXOS_MSG_CATCHUP, buf, len);
        p->catchup_from = m.from;
        p->catchup_sent_ns = t;
}

int bl_paxos_learn_value(struct bl_paxos *p, uint8_t type, const void *buf, uint32_t len)
{
        uint64_t s = p->commit + 1;
        struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);
        uint64_t tag = 0;

        if (sl != NULL && sl->tag != 0) {
                if (bl_paxos_slot_same(sl, type, buf, len))
                        tag = sl->tag;
                else
                        p->env.dropped(p->env.ctx, sl->tag);
                sl->tag = 0;
        }
        if (bl_paxos_log_set(&p->log, s, BL_PAXOS_CHOSEN, type, buf, len) != 0) {
                if (tag != 0)
                        p->env.dropped(p->env.ctx, tag);
                return BL_ENOMEM;
        }
        bl_paxos_log_get(&p->log, s)->tag = tag;
        p->commit = s;
        return 0;
}

void bl_paxos_install_snapshot(struct bl_paxos *p, void *buf, size_t len, uint64_t index)
{
        uint64_t last = bl_paxos_log_last(&p->log);

        if (p->env.restore(p->env.ctx, buf, len) != 0) {
                bl_free(buf);
                return;
        }
        /* Commands of ours up to index may or may not be in the snapshot:
         * the client retries, and the store's sessions make that safe. */
        for (uint64_t s = p->applied + 1; s <= index && s <= last; s++) {
                struct bl_paxos_slot *sl = bl_paxos_log_get(&p->log, s);

                if (sl != NULL && sl->tag != 0) {
                        p->env.dropped(p->env.ctx, sl->tag);
                        sl->tag = 0;
                }
        }
        if (last >= index)
                bl_paxos_log_compact_to(&p->log, index);
        else
                bl_paxos_log_reset(&p->log, index);
        bl_free(p->snap.buf);
        p->snap.buf = buf;
        p->snap.len = len;
        p->snap.index = index;
        p->commit = index;
        p->applied = index;
        bl_paxos_checkpoint(p);
        p->env.event(p->env.ctx, BL_EV_SNAPSHOT_INSTALL, (int64_t)index, p->g.shard);
}
