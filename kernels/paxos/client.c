/*
 * Client requests. Writes, and reads when read_mode = log, are proposals:
 * the leader puts each command in the next free slot and phase 2 carries it
 * (phase2.c); the replica that proposed it answers once it is applied.
 *
 * Reads with read_mode = quorum skip the slots. The leader must make sure
 * that, after the read arrived, no other leader had yet completed phase 1
 * (such a leader could have chosen writes we do not know about). It needs
 * no clock lease: it confirms, after the read arrived, that a quorum of
 * acceptors still accepts its ballot, as Raft's ReadIndex does:
 *
 *   1. The leader waits until every slot it re-proposed after phase 1 is
 *      chosen (it then knows every value chosen before its ballot).
 *   2. It notes its commit point as the read's index.
 *   3. It starts a confirmation round: an Accept without slots carrying
 *      the round number; an acceptor that still accepts our ballot echoes
 *      the round. q2 echoes (us included) confirm it: any phase 1 quorum
 *      of a later ballot meets them (q1 + q2 > n), so no later ballot
 *      completed phase 1 before the echo.
 *   4. It waits until it applied the read's index, then serves the read.
 *
 * Reads that arrive while a round is in flight share the next round: at
 * most one round is in flight, and a burst of reads costs one broadcast.
 */
#include "kernels/paxos/client.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/phase2.h"

static struct bl_paxos_read *read_at(const struct bl_paxos *p, size_t i)
{
        return &p->reads[(p->reads_head + i) % p->reads_cap];
}

static int reads_grow(struct bl_paxos *p)
{
        size_t cap = p->reads_cap == 0 ? 16 : 2 * p->reads_cap;
        struct bl_paxos_read *a = bl_malloc(cap * sizeof(*a));

        if (a == NULL)
                return BL_ENOMEM;
        for (size_t i = 0; i < p->reads_n; i++)
                a[i] = *read_at(p, i);
        bl_free(p->reads);
        p->reads = a;
        p->reads_cap = cap;
        p->reads_head = 0;
        return 0;
}

static int read_submit(struct bl_paxos *p, const void *cmd, size_t len, uint64_t tag)
{
        struct bl_paxos_read *rd;
        uint8_t *copy = NULL;

        if (p->reads_n >= BL_PAXOS_MAX_READS)
                return BL_EBUSY;
        if (p->reads_n == p->reads_cap && reads_grow(p) != 0)
                return BL_ENOMEM;
        if (len > 0) {
                copy = bl_malloc(len);
                if (copy == NULL)
                        return BL_ENOMEM;
                memcpy(copy, cmd, len);
        }
        rd = read_at(p, p->reads_n);
        rd->index = 0;
        rd->round = 0;
        rd->tag = tag;
        rd->len = (uint32_t)len;
        rd->buf = copy;
        p->reads_n++;
        bl_paxos_reads_progress(p);
        return 0;
}

int bl_paxos_submit(void *k, const void *cmd, size_t len, unsigned flags, uint64_t tag)
{
        struct bl_paxos *p = k;
        uint64_t slot;
        int rc;

        if (!p->started || p->role != BL_PAXOS_LEADER)
                return BL_ENOTLEADER;
        /* A leadership transfer is under way: the client waits and retries. */
        if (p->transfer_to >= 0)
                return BL_EBUSY;
        if (len > UINT32_MAX)
                return BL_EINVAL;
        if ((flags & BL_SUBMIT_READONLY) && p->quorum_reads)
                return read_submit(p, cmd, len, tag);
        slot = bl_paxos_log_last(&p->log) + 1;
        if (slot - p->commit > BL_PAXOS_MAX_UNCHOSEN)
                return BL_EBUSY;
        rc = bl_paxos_log_set(&p->log, slot, p->ballot, BL_PAXOS_CMD, cmd, (uint32_t)len);
        if (rc != 0)
                return rc;
        bl_paxos_log_get(&p->log, slot)->tag = tag;
        bl_paxos_log_get(&p->log, slot)->born_ns = bl_paxos_now(p);
        bl_paxos_send_batches(p, 0);
        bl_paxos_commit_advance(p); /* a group of one */
        return 0;
}

/* The highest round q2 members confirmed (we confirm our own). */
static uint64_t confirmed_round(const struct bl_paxos *p)
{
        uint64_t v[BL_PAXOS_MAX_MEMBERS];

        for (int i = 0; i < p->g.nmembers; i++)
                v[i] = i == p->g.self ? p->read_round : p->peers[i].acked_round;
        return bl_paxos_quorum_value(p, v, p->q2);
}

void bl_paxos_reads_progress(struct bl_paxos *p)
{
        uint64_t confirmed;
        int need_round = 0;

        if (p->role != BL_PAXOS_LEADER || p->reads_n == 0 || p->applying)
                return;
        /* Step 1. */
        if (p->commit < p->p1_end)
                return;
        /* Step 2, for reads not yet assigned; they sit at the tail. */
        for (size_t i = p->reads_n; i > 0; i--) {
                struct bl_paxos_read *rd = read_at(p, i - 1);

                if (rd->round != 0) {
                        need_round |= rd->round > p->read_round;
                        break;
                }
                rd->index = p->commit;
                rd->round = p->read_round + 1;
                need_round = 1;
        }
        /* Step 3: one round in flight at a time. */
        confirmed = confirmed_round(p);
        if (need_round && confirmed >= p->read_round) {
                p->read_round++;
                bl_paxos_heartbeat(p);
                confirmed = confirmed_round(p);
        }
        /* Step 4. The read leaves the queue before apply() runs, so a
         * callback that submits another read finds a consistent queue. */
        p->applying = 1;
        while (p->reads_n > 0 && p->role == BL_PAXOS_LEADER) {
                struct bl_paxos_read rd = *read_at(p, 0);

                if (rd.round == 0 || rd.round > confirmed || rd.index > p->applied)
                        break;
                p->reads_head = (p->reads_head + 1) % p->reads_cap;
                p->reads_n--;
                p->env.apply(p->env.ctx, rd.buf, rd.len, 0, rd.tag);
                bl_free(rd.buf);
        }
        p->applying = 0;
        if (p->applied < p->commit)
                bl_paxos_apply_chosen(p);
}

void bl_paxos_reads_drop(struct bl_paxos *p)
{
        for (size_t i = 0; i < p->reads_n; i++) {
                struct bl_paxos_read *rd = read_at(p, i);

                p->env.dropped(p->env.ctx, rd->tag);
                bl_free(rd->buf);
        }
        p->reads_n = 0;
        p->reads_head = 0;
}
