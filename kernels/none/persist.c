/*
 * The none kernel's records: one per write (the command), and every
 * BL_NONE_SNAPSHOT_ENTRIES applied writes a snapshot of the store.
 *
 * A snapshot record holds (index, covers, store): the store after the write
 * with record `covers` (index `index`) was applied. Writes submitted after
 * that one may already have records below the snapshot's own sequence number
 * (they were waiting for durability when it was taken): they are not in the
 * snapshot, and recovery applies them after it. Once the snapshot record is
 * durable, every record up to `covers` is superseded and the storage may drop
 * it (env->compact); an older snapshot above `covers` is replayed and then
 * replaced by the newer one, which costs a restore and nothing else.
 *
 * Recovery (replay, in sequence order): a command record is queued; a
 * snapshot record replaces the store (env->restore, here, so that a store
 * that does not restore refuses the recovery instead of starting empty) and
 * drops the queued commands it covers. start() then applies what is queued
 * and compacts behind the last snapshot (the previous instance may have
 * crashed before it learnt that the snapshot was durable).
 */
#include <string.h>

#include "common/alloc.h"
#include "common/wire.h"
#include "kernels/none/internal.h"

void bl_none_maybe_snapshot(struct bl_none *n)
{
        void *snap = NULL, *buf;
        size_t slen = 0, len;
        struct bl_wbuf w;
        uint64_t seq;

        if (n->since_snap < n->snap_every)
                return;
        if (n->env.snapshot(n->env.ctx, &snap, &slen) != 0)
                return; /* out of memory: tried again at the next durable() */
        len = BL_NONE_SNAP_HEADER + slen;
        buf = bl_malloc(len);
        if (buf == NULL) {
                bl_free(snap);
                return;
        }
        bl_wbuf_init(&w, buf, len);
        bl_put_u64(&w, n->applied);
        bl_put_u64(&w, n->applied_seq);
        bl_put_bytes(&w, snap, slen);
        seq = n->env.persist(n->env.ctx, BL_NONE_REC_SNAPSHOT, buf, w.len);
        bl_free(buf);
        bl_free(snap);
        if (seq == 0)
                return; /* the storage failed: the runtime fails the run */
        n->persisted_seq = seq;
        n->snap_seq = seq;
        n->snap_covers = n->applied_seq;
        n->since_snap = 0;
        n->snapshots++;
}

void bl_none_compact(struct bl_none *n)
{
        n->env.compact(n->env.ctx, n->snap_covers);
        n->snap_seq = 0;
}

static int replay_snapshot(struct bl_none *n, uint64_t seq, const void *buf, size_t len)
{
        struct bl_rbuf rb;
        uint64_t index, covers;
        int rc;

        bl_rbuf_init(&rb, buf, len);
        index = bl_get_u64(&rb);
        covers = bl_get_u64(&rb);
        /* A snapshot covers commands persisted before it, and no fewer than
         * an earlier snapshot did. */
        if (!rb.ok || covers >= seq || covers < n->applied_seq || index < n->applied)
                return BL_EPROTO;
        rc = n->env.restore(n->env.ctx, (const uint8_t *)buf + BL_NONE_SNAP_HEADER,
                            len - BL_NONE_SNAP_HEADER);
        if (rc != 0)
                return rc == BL_ENOMEM ? BL_ENOMEM : BL_EPROTO;
        while (n->q_n > 0 && n->q[n->q_head].seq <= covers) {
                n->q_bytes -= n->q[n->q_head].len;
                bl_free(n->q[n->q_head].cmd);
                n->q_head = (n->q_head + 1) % n->q_cap;
                n->q_n--;
        }
        n->applied = index;
        n->applied_seq = covers;
        n->since_snap = 0;
        /* Durable, being replayed: start() compacts what it covers, in case
         * the crash came before the last instance did. */
        n->snap_seq = seq;
        n->snap_covers = covers;
        return 0;
}

int bl_none_replay(void *k, uint64_t seq, int type, const void *buf, size_t len)
{
        struct bl_none *n = k;
        int rc;

        if (seq <= n->persisted_seq)
                return BL_EPROTO; /* records come back in the order persisted */
        switch (type) {
        case BL_NONE_REC_CMD:
                rc = len > 0 ? bl_none_enqueue(n, seq, 0, buf, len) : BL_EPROTO;
                break;
        case BL_NONE_REC_SNAPSHOT:
                rc = replay_snapshot(n, seq, buf, len);
                break;
        default:
                rc = BL_EPROTO;
        }
        if (rc != 0)
                return rc;
        n->persisted_seq = n->durable_seq = seq;
        return 0;
}
