/*
 * Promise (1b), candidate side. From "Paxos Made Moderately Complex" (the
 * scout): "if the ballot in the p1b matches, the scout adds the pvalues to
 * its set and waits for a majority; if a higher ballot comes back, the
 * leader is preempted."
 *
 * For each slot we keep the value with the highest ballot among the
 * promises (the pmax operation of the paper). An acceptor that compacted
 * slots at or after our first unchosen slot can no longer report their
 * values: those slots are chosen but we never learned them, so we ask that
 * acceptor for them and do not take the lead in this ballot (phase1.c).
 */
#include "kernels/paxos/recv.h"

#include "common/wire.h"
#include "kernels/paxos/encode.h"
#include "kernels/paxos/learn.h"
#include "kernels/paxos/log.h"
#include "kernels/paxos/phase1.h"

int bl_paxos_recv_promise(struct bl_paxos *p, int from, const void *buf, size_t len)
{
        struct bl_paxos_promise m;
        struct bl_paxos_wire_value v;
        struct bl_rbuf r;

        if (bl_paxos_decode_promise(buf, len, &m) != 0)
                return BL_EPROTO;
        if (p->role != BL_PAXOS_CANDIDATE || m.ballot != p->ballot)
                return 0;
        if (m.ok == BL_PAXOS_REFUSED) {
                if (m.promised > p->ballot)
                        bl_paxos_preempted(p, m.promised, -1);
                return 0; /* a refusal while it hears a leader: our timer retries */
        }
        if (p->probing) {
                if (m.ok == BL_PAXOS_WOULD)
                        bl_paxos_probe_tally(p, from);
                return 0;
        }
        if (m.ok != BL_PAXOS_PROMISED || !p->p1_sent)
                return 0; /* a late answer to our probe */
        if (p->promises & (UINT64_C(1) << from))
                return 0; /* a duplicate */
        if (m.offset >= p->p1_from) {
                p->p1_stale = 1;
                bl_paxos_catchup_maybe(p, from, 1);
        }
        bl_rbuf_init(&r, m.values, m.values_len);
        for (uint32_t i = 0; i < m.n; i++) {
                const struct bl_paxos_slot *have;

                bl_paxos_values_next(&r, 1, &v);
                if (v.slot < p->p1_from)
                        continue;
                have = bl_paxos_log_get(&p->p1, v.slot);
                if (have != NULL && have->ballot >= v.ballot)
                        continue;
                if (bl_paxos_log_set(&p->p1, v.slot, v.ballot, v.type, v.buf, v.len) != 0)
                        return 0; /* not counted: the timer retries */
        }
        bl_paxos_phase1_tally(p, from);
        return 0;
}
