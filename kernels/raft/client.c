/*
 * Client requests. From Figure 2, Rules for Servers, Leaders: "If command
 * received from client: append entry to local log, respond after entry
 * applied to state machine". Writes, and reads when read_mode = log, take
 * that path.
 *
 * Reads with read_mode = index skip the log (dissertation Section 6.4):
 *
 *   1. If the leader has not yet marked an entry from its current term
 *      committed, it waits until it has done so.
 *   2. The leader saves its current commit index in a local variable
 *      readIndex.
 *   3. The leader needs to make sure it hasn't been superseded by a newer
 *      leader of which it is unaware. It issues a new round of heartbeats
 *      and waits for their acknowledgments from a majority of the cluster.
 *   4. The leader waits for its state machine to advance at least as far as
 *      the readIndex.
 *   5. Finally, the leader issues the query against its state machine.
 *
 * Rounds are numbered (read_round); every AppendEntries carries the latest
 * round and followers echo it, so ordinary replication traffic acknowledges
 * rounds too. Reads that arrive while a round is in flight share the next
 * round, which starts as soon as the previous one is confirmed: at most one
 * round is in flight, and a burst of reads costs one heartbeat broadcast.
 */
#include "kernels/raft/client.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/raft/apply.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"
#include "kernels/raft/replication.h"

static struct bl_raft_read *read_at(const struct bl_raft *r, size_t i)
{
        return &r->reads[(r->reads_head + i) % r->reads_cap];
}

static int reads_grow(struct bl_raft *r)
{
        size_t cap = r->reads_cap == 0 ? 16 : 2 * r->reads_cap;
        struct bl_raft_read *a = bl_malloc(cap * sizeof(*a));

        if (a == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < r->reads_n; i++)
                a[i] = *read_at(r, i);
        bl_free(r->reads);
        r->reads = a;
        r->reads_cap = cap;
        r->reads_head = 0;
        return 0;
}

static int read_submit(struct bl_raft *r, const void *cmd, size_t len, uint64_t tag)
{
        struct bl_raft_read *rd;
        uint8_t *copy = NULL;

        if (r->reads_n >= BL_RAFT_MAX_READS)
                return BL_EBUSY;
        if (r->reads_n == r->reads_cap && reads_grow(r) != 0)
                return BL_ENOMEM;
        if (len > 0) {
                copy = bl_malloc(len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, cmd, len);
        }
        rd = read_at(r, r->reads_n);
        rd->index = 0;
        rd->round = 0;
        rd->tag = tag;
        rd->len = (uint32_t)len;
        rd->buf = copy;
        r->reads_n++;
        bl_raft_reads_progress(r);
        return 0;
}

int bl_raft_client_submit(struct bl_raft *r, const void *cmd, size_t len, unsigned flags,
                          uint64_t tag)
{
        int rc;

        if (r->role != BL_RAFT_LEADER)
                return BL_ENOTLEADER;
        /* Section 3.10, step 1: "The prior leader stops accepting new client
         * requests." */
        if (r->transfer_to >= 0)
                return BL_EBUSY;
        if (len > UINT32_MAX)
                return BL_EINVAL;
        if ((flags & BL_SUBMIT_READONLY) && r->read_index)
                return read_submit(r, cmd, len, tag);
        if (bl_raft_log_last_index(&r->log) - r->commit >= BL_RAFT_MAX_UNCOMMITTED)
                return BL_EBUSY;
        rc = bl_raft_log_append(&r->log, r->term, BL_RAFT_ENTRY_CMD, cmd, (uint32_t)len,
                                bl_raft_now(r));
        if (rc != 0)
                return rc;
        bl_raft_log_get(&r->log, bl_raft_log_last_index(&r->log))->tag = tag;
        /* Written and sent at once: the disk and the followers work in
         * parallel (persist.c). */
        bl_raft_persist_entries(r, bl_raft_log_last_index(&r->log));
        bl_raft_replicate_all(r, 0);
        bl_raft_commit_advance(r); /* a group of one commits alone */
        return 0;
}

/* The highest round a majority acknowledged (we acknowledge our own). */
static uint64_t confirmed_round(const struct bl_raft *r)
{
        uint64_t v[BL_RAFT_MAX_MEMBERS];

        for (int i = 0; i < r->g.nmembers; i++)
                v[i] = i == r->g.self ? r->read_round : r->peers[i].acked_seq;
        return bl_raft_quorum_value(r, v);
}

void bl_raft_reads_progress(struct bl_raft *r)
{
        uint64_t confirmed;
        int need_round = 0;

        if (r->role != BL_RAFT_LEADER || r->reads_n == 0 || r->applying)
                return;
        /* Step 1. */
        if (bl_raft_log_term_of(&r->log, r->commit) != r->term)
                return;
        /* Step 2, for reads not yet assigned; they sit at the tail. */
        for (size_t i = r->reads_n; i > 0; i--) {
                struct bl_raft_read *rd = read_at(r, i - 1);

                if (rd->round != 0) {
                        need_round |= rd->round > r->read_round;
                        break;
                }
                rd->index = r->commit;
                rd->round = r->read_round + 1;
                need_round = 1;
        }
        /* Step 3: one round in flight at a time. */
        confirmed = confirmed_round(r);
        if (need_round && confirmed >= r->read_round) {
                r->read_round++;
                bl_raft_replicate_all(r, 1);
                confirmed = confirmed_round(r);
        }
        /* Steps 4 and 5. The read leaves the queue before apply() runs, so a
         * callback that submits another read finds a consistent queue. */
        r->applying = 1;
        while (r->reads_n > 0 && r->role == BL_RAFT_LEADER) {
                struct bl_raft_read rd = *read_at(r, 0);

                if (rd.round == 0 || rd.round > confirmed || rd.index > r->applied)
                        break;
                r->reads_head = (r->reads_head + 1) % r->reads_cap;
                r->reads_n--;
                r->env.apply(r->env.ctx, rd.buf, rd.len, 0, rd.tag);
                bl_free(rd.buf);
        }
        r->applying = 0;
        /* A callback may have committed more (a group of one). */
        if (r->applied < r->commit)
                bl_raft_apply_committed(r);
}

void bl_raft_reads_drop(struct bl_raft *r, int notify)
{
        for (size_t i = 0; i < r->reads_n; i++) {
                if (notify)
                        r->env.dropped(r->env.ctx, read_at(r, i)->tag);
                bl_free(read_at(r, i)->buf);
        }
        r->reads_n = 0;
        r->reads_head = 0;
}
