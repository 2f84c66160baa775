/* Leader election: starting (pre-)elections, counting votes, comparing logs. */
#ifndef BL_KERNELS_RAFT_ELECTION_H
#define BL_KERNELS_RAFT_ELECTION_H

#include "kernels/raft/internal.h"

/* Become a candidate and ask every other member for its vote. With prevote,
 * only ask whether they would vote for us at term + 1 (Pre-Vote phase),
 * without changing the term. Cannot fail; a lost message means a timeout. */
void bl_raft_election_start(struct bl_raft *r, int prevote);

/* Record that `from` granted its (pre-)vote and act on a majority: move from
 * Pre-Vote to the real election, or become leader. Cannot fail. */
void bl_raft_election_tally(struct bl_raft *r, int from);

/* From Section 5.4.1: 1 when a log ending at (last_index, last_term) is at
 * least as up-to-date as ours. */
int bl_raft_election_up_to_date(const struct bl_raft *r, uint64_t last_index, uint64_t last_term);

#endif
