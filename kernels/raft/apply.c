/*
 * Applying committed entries. Only the leader that accepted a command in its
 * current term answers the client (the proposal's tag); every other replica
 * applies silently (tag 0). A leader that lost its term before the entry committed does not
 * answer either: its client times out and retries, and the store's session
 * table makes the retry idempotent.
 */
#include "kernels/raft/apply.h"

#include "kernels/raft/client.h"
#include "kernels/raft/log.h"
#include "kernels/raft/snapshot.h"

void bl_raft_apply_committed(struct bl_raft *r)
{
        if (r->applying)
                return;
        r->applying = 1;
        while (r->applied < r->commit) {
                struct bl_raft_entry *e = bl_raft_log_get(&r->log, r->applied + 1);
                const void *buf;
                uint32_t len;
                uint64_t tag;

                if (e == NULL)
                        break; /* cannot happen: applied >= log offset */
                r->applied++;
                if (e->type != BL_RAFT_ENTRY_CMD)
                        continue;
                /* The entry may move if the callback appends; its payload
                 * does not, and committed entries are never truncated. */
                buf = e->buf;
                len = e->len;
                tag = r->role == BL_RAFT_LEADER && e->term == r->term ? e->tag : 0;
                e->tag = 0;
                r->env.apply(r->env.ctx, buf, len, r->applied, tag);
        }
        r->applying = 0;
        bl_raft_reads_progress(r);
        bl_raft_snapshot_maybe_take(r);
}
