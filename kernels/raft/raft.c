/*
 * The Raft kernel's entry points: the vtable and instance lifetime. The
 * protocol lives in the other files of this folder, one concern each
 * (election.c, replication.c, recv_*.c, client.c, snapshot.c, transfer.c,
 * tick.c, persist.c), as in canonical/raft.
 *
 * Crashes follow kernel.h: the runtime destroys the instance, and recovery
 * creates a new one, replays its durable records (persist.c) and starts it
 * as a follower with commitIndex = lastApplied = the snapshot's index, after
 * resetting the state machine to the snapshot (or to its initial state):
 * entries after it are applied again as the new leader reports them
 * committed.
 */
#include "kernels/raft/raft.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/raft/client.h"
#include "kernels/raft/convert.h"
#include "kernels/raft/encode.h"
#include "kernels/raft/internal.h"
#include "kernels/raft/log.h"
#include "kernels/raft/persist.h"
#include "kernels/raft/recv.h"
#include "kernels/raft/tick.h"

uint8_t *bl_raft_out_buf(struct bl_raft *r, size_t n)
{
        uint8_t *p;
        size_t cap;

        if (n <= r->out_cap)
                return r->out;
        cap = r->out_cap < 256 ? 256 : r->out_cap;
        while (cap < n)
                cap = cap > SIZE_MAX / 2 ? n : 2 * cap;
        p = bl_malloc(cap); /* not realloc: the old contents are not needed */
        if (p == NULL)
                return NULL;
        bl_free(r->out);
        r->out = p;
        r->out_cap = cap;
        return p;
}

static uint64_t ms_to_ns(int ms)
{
        return (uint64_t)(ms > 0 ? ms : 1) * 1000000u;
}

static void raft_destroy(void *k)
{
        struct bl_raft *r = k;

        if (r == NULL)
                return;
        bl_raft_reads_drop(r, 0);
        bl_free(r->reads);
        if (r->peers != NULL)
                for (int i = 0; i < r->g.nmembers; i++)
                        bl_free(r->peers[i].inflight_last);
        bl_free(r->peers);
        bl_raft_log_free(&r->log);
        bl_free(r->pend);
        bl_free(r->snap.buf);
        bl_free(r->out);
        bl_free(r);
}

static void *raft_create(const struct bl_env *env, const struct bl_group *g,
                         const struct bl_config *cfg)
{
        struct bl_raft *r;

        if (g->nmembers < 1 || g->nmembers > BL_RAFT_MAX_MEMBERS || g->self < 0 ||
            g->self >= g->nmembers)
                return NULL;
        r = bl_calloc(1, sizeof(*r));
        if (r == NULL)
                return NULL;
        r->env = *env;
        r->g = *g;
        r->cfg = cfg;
        r->quorum = g->nmembers / 2 + 1;
        r->election_ns = ms_to_ns(cfg->raft.election_timeout_ms);
        r->heartbeat_ns = ms_to_ns(cfg->raft.heartbeat_ms);
        r->batch_delay_ns =
            cfg->raft.batch_delay_us > 0 ? (uint64_t)cfg->raft.batch_delay_us * 1000u : 0;
        r->snapshot_entries =
            cfg->raft.snapshot_entries > 0 ? (uint64_t)cfg->raft.snapshot_entries : 0;
        r->max_batch = cfg->raft.max_batch > 0 ? cfg->raft.max_batch : 1;
        r->pipeline = cfg->raft.pipeline > 0 ? cfg->raft.pipeline : 1;
        r->prevote = cfg->raft.prevote != 0;
        r->read_index = cfg->raft.read_mode == BL_READ_INDEX;

        r->term = 0;
        r->voted_for = -1;
        bl_raft_log_init(&r->log);

        r->role = BL_RAFT_FOLLOWER;
        r->leader = -1;
        r->transfer_to = -1;
        r->ack.to = -1;
        r->vote.to = -1;
        r->election_deadline_ns = UINT64_MAX; /* armed by the first tick */
        r->peers = bl_calloc((size_t)g->nmembers, sizeof(*r->peers));
        if (r->peers == NULL)
                goto out_destroy;
        for (int i = 0; i < g->nmembers; i++) {
                r->peers[i].inflight_last = bl_calloc((size_t)r->pipeline, sizeof(uint64_t));
                if (r->peers[i].inflight_last == NULL)
                        goto out_destroy;
        }
        return r;

out_destroy:
        raft_destroy(r);
        return NULL;
}

static int raft_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        return bl_raft_client_submit(k, cmd, len, flags, tag);
}

static int raft_recv(void *k, int from, int type, const void *buf, size_t len)
{
        struct bl_raft *r = k;

        if (from < 0 || from >= r->g.nmembers || from == r->g.self)
                return BL_EPROTO;
        switch (type) {
        case BL_RAFT_MSG_REQUEST_VOTE:
                return bl_raft_recv_request_vote(r, from, buf, len, 0);
        case BL_RAFT_MSG_PRE_VOTE:
                return bl_raft_recv_request_vote(r, from, buf, len, 1);
        case BL_RAFT_MSG_REQUEST_VOTE_RESULT:
                return bl_raft_recv_request_vote_result(r, from, buf, len, 0);
        case BL_RAFT_MSG_PRE_VOTE_RESULT:
                return bl_raft_recv_request_vote_result(r, from, buf, len, 1);
        case BL_RAFT_MSG_APPEND_ENTRIES:
                return bl_raft_recv_append_entries(r, from, buf, len);
        case BL_RAFT_MSG_APPEND_ENTRIES_RESULT:
                return bl_raft_recv_append_entries_result(r, from, buf, len);
        case BL_RAFT_MSG_INSTALL_SNAPSHOT:
                return bl_raft_recv_install_snapshot(r, from, buf, len);
        case BL_RAFT_MSG_INSTALL_SNAPSHOT_RESULT:
                return bl_raft_recv_install_snapshot_result(r, from, buf, len);
        case BL_RAFT_MSG_TIMEOUT_NOW:
                return bl_raft_recv_timeout_now(r, from, buf, len);
        default:
                return BL_EPROTO;
        }
}

static void raft_tick(void *k)
{
        bl_raft_tick(k);
}

static int raft_leader(void *k)
{
        struct bl_raft *r = k;

        return r->leader;
}

/* Three heartbeats: the last commit index reaches every follower. */
static uint64_t raft_settle_ns(const struct bl_config *cfg)
{
        /* Three heartbeats carry the last commit point to every member;
         * on a disk, a member also syncs the last entries before it can
         * count them, and a sync on a busy disk takes tens of ms. */
        return 3ull * ms_to_ns(cfg->raft.heartbeat_ms) +
               (cfg->storage.mode != BL_STORAGE_MEMORY ? ms_to_ns(250) : 0);
}

static void raft_stats(void *k, struct bl_kernel_stats *out)
{
        struct bl_raft *r = k;
        size_t mem = sizeof(*r) + bl_raft_log_mem_bytes(&r->log) + r->snap.len + r->out_cap;

        mem += (size_t)r->g.nmembers * (sizeof(*r->peers) + (size_t)r->pipeline * 8);
        mem += r->reads_cap * sizeof(*r->reads);
        mem += r->pend_cap * sizeof(*r->pend);
        for (size_t i = 0; i < r->reads_n; i++)
                mem += r->reads[(r->reads_head + i) % r->reads_cap].len;
        *out = (struct bl_kernel_stats){
            .term = r->term,
            .commit = r->commit,
            .applied = r->applied,
            .log_entries = r->log.n,
            .mem_bytes = mem,
        };
}

/* Every vtable entry; the mutants differ in name and create only. */
#define RAFT_VTABLE(NAME, CREATE)                                                                  \
        .name = NAME, .version = "1.0",                                                            \
        .summary = "Raft: leader election with pre-vote, batched and pipelined replication, "      \
                   "ReadIndex reads, snapshots, leadership transfer",                              \
        .kind = BL_KERNEL_REPLICATION, .option_section = "raft", .settle_ns = raft_settle_ns,      \
        .n_msg_types = BL_RAFT_MSG__COUNT, .msg_names = bl_raft_msg_names, .create = CREATE,       \
        .destroy = raft_destroy, .submit = raft_submit, .recv = raft_recv, .tick = raft_tick,      \
        .leader = raft_leader, .replay = bl_raft_replay, .start = bl_raft_start,                   \
        .durable = bl_raft_durable, .stats = raft_stats, .transfer = bl_raft_transfer

const struct bl_kernel bl_kernel_raft = {RAFT_VTABLE("raft", raft_create)};

static void *create_mutant(const struct bl_env *env, const struct bl_group *g,
                           const struct bl_config *cfg, unsigned mutations)
{
        struct bl_raft *r = raft_create(env, g, cfg);

        if (r != NULL)
                r->mutations = mutations;
        return r;
}

static void *create_stale_acks(const struct bl_env *env, const struct bl_group *g,
                               const struct bl_config *cfg)
{
        return create_mutant(env, g, cfg, BL_RAFT_MUT_STALE_ACKS);
}

const struct bl_kernel bl_kernel_raft_mutant_stale_acks = {
    RAFT_VTABLE("raft-mutant-stale-acks", create_stale_acks)};

static void *create_vote_unpersisted(const struct bl_env *env, const struct bl_group *g,
                                     const struct bl_config *cfg)
{
        return create_mutant(env, g, cfg, BL_RAFT_MUT_VOTE_UNPERSISTED);
}

const struct bl_kernel bl_kernel_raft_mutant_vote_unpersisted = {
    RAFT_VTABLE("raft-mutant-vote-unpersisted", create_vote_unpersisted)};
