/*
 * Leadership transfer. From Section 3.10 of the dissertation:
 *
 *   1. The prior leader stops accepting new client requests.
 *   2. The prior leader fully updates the target server's log to match its
 *      own, using the normal log replication mechanism.
 *   3. The prior leader sends a TimeoutNow request to the target server.
 *
 * The target's election (recv_timeout_now.c) then deposes us with a higher
 * term. Until that happens we stay leader; if it does not happen within an
 * election timeout we resume normal service.
 */
#include "kernels/raft/transfer.h"

#include "kernels/raft/encode.h"
#include "kernels/raft/log.h"
#include "kernels/raft/raft.h"
#include "kernels/raft/replication.h"

static void send_timeout_now(struct bl_raft *r, int i)
{
        struct bl_raft_timeout_now m = {.term = r->term};
        uint8_t buf[16];
        size_t len = bl_raft_encode_timeout_now(&m, buf, sizeof(buf));

        r->env.send(r->env.ctx, i, BL_RAFT_MSG_TIMEOUT_NOW, buf, len);
        r->timeout_now_sent = 1;
}

void bl_raft_transfer_progress(struct bl_raft *r, int i)
{
        if (r->role != BL_RAFT_LEADER || r->transfer_to != i || r->timeout_now_sent)
                return;
        if (r->peers[i].match == bl_raft_log_last_index(&r->log))
                send_timeout_now(r, i);
}

void bl_raft_transfer_tick(struct bl_raft *r)
{
        if (r->transfer_to >= 0 && bl_raft_now(r) >= r->transfer_deadline_ns)
                r->transfer_to = -1;
}

int bl_raft_transfer(void *k, int member)
{
        struct bl_raft *r = k;

        if (r->role != BL_RAFT_LEADER)
                return BL_ENOTLEADER;
        if (member < 0) {
                /* The most up-to-date follower. */
                for (int i = 0; i < r->g.nmembers; i++)
                        if (i != r->g.self &&
                            (member < 0 || r->peers[i].match > r->peers[member].match))
                                member = i;
        }
        if (member < 0 || member >= r->g.nmembers || member == r->g.self)
                return BL_EINVAL;
        if (r->transfer_to >= 0)
                return BL_EBUSY;
        r->transfer_to = member;
        r->transfer_deadline_ns = bl_raft_now(r) + r->election_ns;
        r->timeout_now_sent = 0;
        r->env.event(r->env.ctx, BL_EV_TRANSFER, (int64_t)r->term, member);
        bl_raft_transfer_progress(r, member);
        bl_raft_replicate(r, member, 1);
        return 0;
}
