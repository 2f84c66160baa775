/*
 * The no-replication baseline. Each shard has one owner (member 0); groups
 * must have one member (the runtime refuses replicas > 1 for this kernel).
 *
 * The owner is durable, as a single server with a write-ahead log is: a
 * write is persisted as a record (the command itself) and applied to the
 * store, and answered, only once durable() covers that record, in the order
 * submitted. A crash of the owner destroys the instance and the store, as
 * for every kernel; recovery replays the durable records (persist.c), so
 * the shard comes back with every write it acknowledged, and a write it had
 * not acknowledged is either there or gone, never half there. This is what
 * a participant of 2PC over unreplicated shards needs (its PREPARE record
 * must survive it), and it keeps the baseline honest: the same storage
 * costs as a replicating kernel, without the replication.
 *
 * Reads (BL_SUBMIT_READONLY) are not logged. One is served at once when no
 * write is waiting for durability, and otherwise queued behind the last such
 * write: commands take effect in the order they were submitted, reads
 * included, as with Raft's reads through the log, so a read observes every
 * write submitted before it (a commit layer that logs a PREPARE and then
 * reads may rely on it). Either way the store holds durable writes only, so
 * a read never sees a write that a crash could take back.
 *
 * Cost: with storage.mode = memory, durable() comes in the same loop pass
 * as the submit, so a request still costs about one round trip; the extra
 * work is a copy of the command into the log and one into the queue.
 */
#include <string.h>

#include "common/alloc.h"
#include "config/config.h"
#include "kernels/none/internal.h"

static void *none_create(const struct bl_env *env, const struct bl_group *g,
                         const struct bl_config *cfg)
{
        struct bl_none *n = bl_calloc(1, sizeof(*n));

        if (n == NULL)
                return NULL;
        n->env = *env;
        n->g = *g;
        n->snap_every = cfg != NULL && cfg->none.snapshot_entries > 0
                            ? (uint64_t)cfg->none.snapshot_entries
                            : BL_NONE_SNAPSHOT_ENTRIES;
        return n;
}

static void none_destroy(void *k)
{
        struct bl_none *n = k;

        if (n == NULL)
                return;
        for (size_t i = 0; i < n->q_n; i++)
                bl_free(n->q[(n->q_head + i) % n->q_cap].cmd);
        bl_free(n->q);
        bl_free(n);
}

static int queue_grow(struct bl_none *n)
{
        size_t cap = n->q_cap ? 2 * n->q_cap : 64;
        struct bl_none_entry *q = bl_malloc(cap * sizeof(*q));

        if (q == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < n->q_n; i++)
                q[i] = n->q[(n->q_head + i) % n->q_cap];
        bl_free(n->q);
        n->q = q;
        n->q_cap = cap;
        n->q_head = 0;
        return 0;
}

/* Room for one more entry and a copy of cmd, taken before anything is
 * persisted, so that a record never goes out for a command the queue could
 * not hold (it would be applied after a crash, and never before). */
static void *reserve(struct bl_none *n, const void *cmd, size_t len)
{
        void *copy;

        if (n->q_n == n->q_cap && queue_grow(n) != 0)
                return NULL;
        copy = bl_malloc(len ? len : 1);
        if (copy != NULL)
                memcpy(copy, cmd, len);
        return copy;
}

static void push(struct bl_none *n, uint64_t seq, uint64_t tag, void *copy, size_t len)
{
        n->q[(n->q_head + n->q_n) % n->q_cap] =
            (struct bl_none_entry){.seq = seq, .tag = tag, .len = len, .cmd = copy};
        n->q_n++;
        n->q_bytes += len;
}

int bl_none_enqueue(struct bl_none *n, uint64_t seq, uint64_t tag, const void *cmd, size_t len)
{
        void *copy = reserve(n, cmd, len);

        if (copy == NULL)
                return BL_ENOMEM;
        push(n, seq, tag, copy, len);
        return 0;
}

void bl_none_drain(struct bl_none *n)
{
        while (n->q_n > 0) {
                struct bl_none_entry e = n->q[n->q_head];

                if (e.seq != 0 && e.seq > n->durable_seq)
                        break;
                /* Off the queue before apply(): whatever apply() leads to
                 * (a reply, a commit layer's next proposal) sees it done. */
                n->q_head = (n->q_head + 1) % n->q_cap;
                n->q_n--;
                n->q_bytes -= e.len;
                if (e.seq != 0) {
                        n->applied++;
                        n->applied_seq = e.seq;
                        n->since_snap++;
                        n->env.apply(n->env.ctx, e.cmd, e.len, n->applied, e.tag);
                } else {
                        n->env.apply(n->env.ctx, e.cmd, e.len, 0, e.tag);
                }
                bl_free(e.cmd);
        }
}

static void none_start(void *k)
{
        struct bl_none *n = k;

        /* Every replayed record is durable: apply the commands after the
         * last snapshot again (tag 0: their clients were answered, or will
         * retry and be answered by the store's session table). */
        bl_none_drain(n);
        if (n->snap_seq != 0)
                bl_none_compact(n);
        bl_none_maybe_snapshot(n);
}

static int none_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        struct bl_none *n = k;
        uint64_t seq = 0;
        void *copy;

        /* The queue's head is always a write not yet durable: a read with
         * nothing queued sees only durable writes. */
        if ((flags & BL_SUBMIT_READONLY) && n->q_n == 0) {
                n->env.apply(n->env.ctx, cmd, len, 0, tag);
                return 0;
        }
        if (n->q_n >= BL_NONE_MAX_QUEUE)
                return BL_EBUSY;
        copy = reserve(n, cmd, len);
        if (copy == NULL)
                return BL_ENOMEM;
        if (!(flags & BL_SUBMIT_READONLY)) {
                seq = n->env.persist(n->env.ctx, BL_NONE_REC_CMD, cmd, len);
                if (seq == 0) {
                        /* The storage failed: the runtime fails the run. */
                        bl_free(copy);
                        return BL_EBUSY;
                }
                n->persisted_seq = seq;
        }
        push(n, seq, tag, copy, len);
        return 0;
}

static void none_durable(void *k, uint64_t seq)
{
        struct bl_none *n = k;

        if (seq > n->persisted_seq)
                seq = n->persisted_seq;
        if (seq <= n->durable_seq)
                return;
        n->durable_seq = seq;
        bl_none_drain(n);
        if (n->snap_seq != 0 && n->snap_seq <= seq)
                bl_none_compact(n);
        bl_none_maybe_snapshot(n);
}

static int none_recv(void *k, int from, int type, const void *buf, size_t len)
{
        (void)k;
        (void)from;
        (void)type;
        (void)buf;
        (void)len;
        return BL_EPROTO; /* this kernel sends no messages */
}

static void none_tick(void *k)
{
        (void)k;
}

static int none_leader(void *k)
{
        struct bl_none *n = k;

        return n->g.self;
}

static void none_stats(void *k, struct bl_kernel_stats *out)
{
        struct bl_none *n = k;

        *out = (struct bl_kernel_stats){
            .commit = n->applied,
            .applied = n->applied,
            .log_entries = n->q_n,
            .mem_bytes = sizeof(*n) + n->q_cap * sizeof(*n->q) + n->q_bytes,
        };
}

const struct bl_kernel bl_kernel_none = {
    .name = "none",
    .version = "2.0",
    .summary = "no replication: one owner per shard logs each write and applies it once durable "
               "(baseline)",
    .kind = BL_KERNEL_REPLICATION,
    .option_section = "none",
    .n_msg_types = 0,
    .msg_names = NULL,
    .create = none_create,
    .destroy = none_destroy,
    .replay = bl_none_replay,
    .start = none_start,
    .submit = none_submit,
    .recv = none_recv,
    .tick = none_tick,
    .leader = none_leader,
    .durable = none_durable,
    .stats = none_stats,
};
