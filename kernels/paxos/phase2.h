/* Phase 2 on the leader: batched and pipelined Accepts, heartbeats, counting acceptances. */
#ifndef BL_KERNELS_PAXOS_PHASE2_H
#define BL_KERNELS_PAXOS_PHASE2_H

#include "kernels/paxos/internal.h"

/* Send every slot from next_send up to `end` now (re-proposals after phase
 * 1), in batches of max_batch, regardless of the pipeline. */
void bl_paxos_send_reproposals(struct bl_paxos *p, uint64_t end);

/* Send new slots in batches while the pipeline has room (force: do not wait
 * for a batch to fill). */
void bl_paxos_send_batches(struct bl_paxos *p, int force);

/* An Accept without slots to every member: carries the commit point and the
 * read round. */
void bl_paxos_heartbeat(struct bl_paxos *p);

/* Resend slots that were sent but not chosen within two heartbeats, to the
 * members that did not accept them. */
void bl_paxos_resend(struct bl_paxos *p);

/* Member `to` acknowledged slots from `first` on but not some before them
 * (still unchosen): on an ordered link that Accept or its answer was lost.
 * Send those slots to it again at once (at most one batch). */
void bl_paxos_fast_resend(struct bl_paxos *p, int to, uint64_t first);

/* Move the commit point over every slot a phase 2 quorum accepted (our own
 * acceptance counts once durable) and apply. */
void bl_paxos_commit_advance(struct bl_paxos *p);

/* The q-th largest of v[0..nmembers-1]. */
uint64_t bl_paxos_quorum_value(const struct bl_paxos *p, const uint64_t *v, int q);

#endif
