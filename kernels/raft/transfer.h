/* Leadership transfer (dissertation Section 3.10), leader side. */
#ifndef BL_KERNELS_RAFT_TRANSFER_H
#define BL_KERNELS_RAFT_TRANSFER_H

#include "kernels/raft/internal.h"

/* Follower i's matchIndex moved: if it is the transfer target and now holds
 * our whole log, send it TimeoutNow. Cannot fail. */
void bl_raft_transfer_progress(struct bl_raft *r, int i);

/* Abandon a transfer that did not finish within an election timeout: "If
 * the transfer does not complete within about an election timeout, the
 * prior leader aborts the transfer and resumes accepting client requests."
 * Cannot fail. */
void bl_raft_transfer_tick(struct bl_raft *r);

#endif
