/*
 * The Multi-Paxos kernel's entry points: the vtable, instance lifetime,
 * recovery and statistics. The protocol lives in the other files of this
 * folder, one concern each, named after the phases of "Paxos Made
 * Moderately Complex": phase1.c (scouts and leader election), phase2.c
 * (commanders: batched, pipelined Accepts), learn.c (replicas: apply in slot
 * order, catch up, snapshots), client.c (proposals and quorum reads),
 * persist.c (acceptor state on stable storage), transfer.c, tick.c, and one
 * recv_*.c per message.
 *
 * Recovery follows kernel.h: a crash destroys the instance; a new one gets
 * the durable records through replay() (persist.c), then start() restores
 * the state machine from the snapshot, with commit and applied at its
 * index. Slots after it are applied again as the leader reports them
 * chosen, or as this replica learns them.
 */
#include "kernels/paxos/paxos.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/paxos/client.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/internal.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/persist.h"
#include "kernels/paxos/phase1.h"
#include "kernels/paxos/recv.h"
#include "kernels/paxos/tick.h"
#include "kernels/paxos/transfer.h"

uint8_t *bl_paxos_out_buf(struct bl_paxos *p, size_t n)
{
        uint8_t *b;
        size_t cap;

        if (n <= p->out_cap)
                return p->out;
        cap = p->out_cap < 256 ? 256 : p->out_cap;
        while (cap < n)
                cap = cap > SIZE_MAX / 2 ? n : 2 * cap;
        b = bl_malloc(cap);
        if (b == NULL)
                return NULL;
        bl_free(p->out);
        p->out = b;
        p->out_cap = cap;
        return b;
}

static uint64_t ms_to_ns(int ms)
{
        return (uint64_t)(ms > 0 ? ms : 1) * 1000000u;
}

static void paxos_destroy(void *k)
{
        struct bl_paxos *p = k;

        if (p == NULL)
                return;
        for (size_t i = 0; i < p->reads_n; i++)
                bl_free(p->reads[(p->reads_head + i) % p->reads_cap].buf);
        bl_free(p->reads);
        bl_paxos_deferred_free(p);
        bl_free(p->peers);
        bl_free(p->inflight_end);
        bl_paxos_log_free(&p->log);
        bl_paxos_log_free(&p->p1);
        bl_free(p->snap.buf);
        bl_free(p->in.buf);
        bl_free(p->out);
        bl_free(p);
}

/* Phase 2 quorum: the configured one, or a majority; phase 1 then needs
 * n - q2 + 1 so that every phase 1 quorum meets every phase 2 quorum. */
static void quorums(struct bl_paxos *p, int configured)
{
        int n = p->g.nmembers;

        p->q2 = configured > 0 && configured <= n ? configured : n / 2 + 1;
        p->q1 = n - p->q2 + 1;
}

static void *paxos_create(const struct bl_env *env, const struct bl_group *g,
                          const struct bl_config *cfg)
{
        struct bl_paxos *p;

        if (g->nmembers < 1 || g->nmembers > BL_PAXOS_MAX_MEMBERS || g->self < 0 ||
            g->self >= g->nmembers)
                return NULL;
        p = bl_calloc(1, sizeof(*p));
        if (p == NULL)
                return NULL;
        p->env = *env;
        p->g = *g;
        p->cfg = cfg;
        quorums(p, cfg->paxos.phase2_quorum);
        p->election_ns = ms_to_ns(cfg->paxos.election_timeout_ms);
        p->heartbeat_ns = ms_to_ns(cfg->paxos.heartbeat_ms);
        p->batch_delay_ns =
            cfg->paxos.batch_delay_us > 0 ? (uint64_t)cfg->paxos.batch_delay_us * 1000u : 0;
        p->snapshot_entries =
            cfg->paxos.snapshot_entries > 0 ? (uint64_t)cfg->paxos.snapshot_entries : 0;
        p->chunk_bytes =
            cfg->paxos.snapshot_chunk > 0 ? (uint64_t)cfg->paxos.snapshot_chunk : 65536;
        p->max_batch = cfg->paxos.max_batch > 0 ? cfg->paxos.max_batch : 1;
        p->pipeline = cfg->paxos.pipeline > 0 ? cfg->paxos.pipeline : 1;
        p->quorum_reads = cfg->paxos.read_mode == BL_PAXOS_READ_QUORUM;

        bl_paxos_log_init(&p->log);
        bl_paxos_log_init(&p->p1);
        p->role = BL_PAXOS_FOLLOWER;
        p->leader = -1;
        p->transfer_to = -1;
        p->deadline_ns = UINT64_MAX;
        p->peers = bl_calloc((size_t)g->nmembers, sizeof(*p->peers));
        p->inflight_end = bl_calloc((size_t)p->pipeline, sizeof(uint64_t));
        if (p->peers == NULL || p->inflight_end == NULL) {
                paxos_destroy(p);
                return NULL;
        }
        return p;
}

static void paxos_start(void *k)
{
        struct bl_paxos *p = k;

        if (p->started)
                return;
        p->started = 1;
        p->commit = p->snap.index;
        p->applied = p->snap.index;
        /* Replayed accepted slots at or below the snapshot are covered by it. */
        if (p->log.offset < p->snap.index)
                bl_paxos_log_compact_to(&p->log, p->snap.index);
        if (p->snap.index > 0)
                p->env.restore(p->env.ctx, p->snap.buf, p->snap.len);
        p->next_send = bl_paxos_log_last(&p->log) + 1;
        bl_paxos_reset_timer(p);
}

static int paxos_recv(void *k, int from, int type, const void *buf, size_t len)
{
        struct bl_paxos *p = k;

        if (!p->started)
                return 0;
        if (from < 0 || from >= p->g.nmembers || from == p->g.self)
                return BL_EPROTO;
        switch (type) {
        case BL_PAXOS_MSG_PREPARE:
                return bl_paxos_recv_prepare(p, from, buf, len);
        case BL_PAXOS_MSG_PROMISE:
                return bl_paxos_recv_promise(p, from, buf, len);
        case BL_PAXOS_MSG_ACCEPT:
                return bl_paxos_recv_accept(p, from, buf, len);
        case BL_PAXOS_MSG_ACCEPTED:
                return bl_paxos_recv_accepted(p, from, buf, len);
        case BL_PAXOS_MSG_CATCHUP:
                return bl_paxos_recv_catchup(p, from, buf, len);
        case BL_PAXOS_MSG_LEARN:
                return bl_paxos_recv_learn(p, from, buf, len);
        case BL_PAXOS_MSG_SNAPSHOT:
                return bl_paxos_recv_snapshot(p, from, buf, len);
        case BL_PAXOS_MSG_TIMEOUT_NOW:
                return bl_paxos_recv_timeout_now(p, from, buf, len);
        default:
                return BL_EPROTO;
        }
}

static int paxos_leader(void *k)
{
        struct bl_paxos *p = k;

        return p->started ? p->leader : -1;
}

static void paxos_stats(void *k, struct bl_kernel_stats *out)
{
        struct bl_paxos *p = k;
        size_t mem = sizeof(*p) + bl_paxos_log_mem_bytes(&p->log) + p->snap.len + p->out_cap;

        mem += (size_t)p->g.nmembers * sizeof(*p->peers) + (size_t)p->pipeline * 8;
        mem += p->reads_cap * sizeof(*p->reads) + p->def_cap * sizeof(*p->deferred);
        for (size_t i = 0; i < p->reads_n; i++)
                mem += p->reads[(p->reads_head + i) % p->reads_cap].len;
        *out = (struct bl_kernel_stats){
            .term = p->promised,
            .commit = p->commit,
            .applied = p->applied,
            .log_entries = p->log.n,
            .mem_bytes = mem,
        };
}

/* The last commit reaches followers on the next heartbeat: a few of them. */
static uint64_t paxos_settle_ns(const struct bl_config *cfg)
{
        /* Three heartbeats carry the last commit point to every member;
         * on a disk, a member also syncs the last entries before it can
         * count them, and a sync on a busy disk takes tens of ms. */
        return 3ull * ms_to_ns(cfg->paxos.heartbeat_ms) +
               (cfg->storage.mode != BL_STORAGE_MEMORY ? ms_to_ns(250) : 0);
}

const struct bl_kernel bl_kernel_paxos = {
    .name = "paxos",
    .version = "1.0",
    .summary = "Multi-Paxos: stable leader, phase 1 once for all slots, batched and pipelined "
               "phase 2, flexible quorums, quorum reads, snapshots in chunks, leadership transfer",
    .kind = BL_KERNEL_REPLICATION,
    .n_msg_types = BL_PAXOS_MSG__COUNT,
    .msg_names = bl_paxos_msg_names,
    .option_section = "paxos",
    .settle_ns = paxos_settle_ns,
    .create = paxos_create,
    .destroy = paxos_destroy,
    .replay = bl_paxos_replay,
    .start = paxos_start,
    .submit = bl_paxos_submit,
    .recv = paxos_recv,
    .tick = bl_paxos_tick,
    .leader = paxos_leader,
    .durable = bl_paxos_durable,
    .stats = paxos_stats,
    .transfer = bl_paxos_transfer,
};
