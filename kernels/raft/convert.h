/* Role changes: follower, candidate, leader, and the term rule shared by every message. */
#ifndef BL_KERNELS_RAFT_CONVERT_H
#define BL_KERNELS_RAFT_CONVERT_H

#include "kernels/raft/internal.h"

/* Pick a new election deadline, uniform in [now + t, now + 2t). Cannot fail. */
void bl_raft_reset_election_timer(struct bl_raft *r);

/* Become a follower of `leader` (-1: unknown) in the current term. A leader
 * stepping down emits BL_EV_STEP_DOWN and drops its pending reads (their
 * clients retry). Cannot fail. */
void bl_raft_become_follower(struct bl_raft *r, int leader);

/* Become leader of the current term: emits BL_EV_LEADER, appends the no-op
 * entry, sends the first heartbeats. If the no-op cannot be allocated the
 * node steps down instead (another election follows). */
void bl_raft_become_leader(struct bl_raft *r);

/* From Figure 2, Rules for Servers, All Servers: "If RPC request or response
 * contains term T > currentTerm: set currentTerm = T, convert to follower".
 * Returns 1 when the term changed. Cannot fail. */
int bl_raft_observe_term(struct bl_raft *r, uint64_t term);

#endif
