/*
 * Snapshot chunk, learner side. Chunks arrive in order, each answering our
 * CatchUp that said how many bytes of which snapshot we hold; a chunk that
 * does not continue what we hold is ignored (the next CatchUp says where we
 * are), and a chunk at offset 0 of another snapshot starts over. The whole
 * snapshot replaces the state machine and every slot up to its index
 * (learn.c), and is checkpointed. Then we ask for the slots after it.
 */
#include "kernels/paxos/recv.h"

#include <string.h>

#include "common/alloc.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"

static void incoming_reset(struct bl_paxos *p)
{
        bl_free(p->in.buf);
        memset(&p->in, 0, sizeof(p->in));
}

int bl_paxos_recv_snapshot(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_snapshot m;

        if (bl_paxos_decode_snapshot(buf, len, &m) != 0)
                return BL_EPROTO;
        if (m.index <= p->commit || p->role == BL_PAXOS_LEADER)
                return 0;
        if (m.offset == 0 && (p->in.buf == NULL || p->in.index != m.index || p->in.from != from)) {
                incoming_reset(p);
                p->in.buf = bl_malloc(m.total > 0 ? (size_t)m.total : 1);
                if (p->in.buf == NULL)
                        return 0;
                p->in.index = m.index;
                p->in.total = m.total;
                p->in.from = from;
        }
        if (p->in.buf == NULL || p->in.index != m.index || p->in.from != from ||
            p->in.total != m.total || m.offset != p->in.got)
                return 0;
        memcpy(p->in.buf + p->in.got, m.data, m.len);
        p->in.got += m.len;
        if (p->in.got < p->in.total) {
                bl_paxos_catchup_maybe(p, from, 1);
                return 0;
        }
        bl_paxos_install_snapshot(p, p->in.buf, (size_t)p->in.total, p->in.index);
        p->in.buf = NULL; /* owned by the snapshot now */
        incoming_reset(p);
        bl_paxos_follower_commit(p);
        bl_paxos_apply_chosen(p);
        bl_paxos_catchup_maybe(p, -1, 1);
        return 0;
}
