/* Client requests on the leader: writes through the log, reads by log or ReadIndex. */
#ifndef BL_KERNELS_RAFT_CLIENT_H
#define BL_KERNELS_RAFT_CLIENT_H

#include <stddef.h>

#include "kernels/raft/internal.h"

/* The vtable's submit(): 0 when accepted (applied with reply = 1 once
 * committed, or once a ReadIndex read may be served), BL_ENOTLEADER on a
 * non-leader, BL_EBUSY while a leadership transfer runs or when too much is
 * pending, BL_EINVAL for a command over 4 GiB, BL_ENOMEM. */
int bl_raft_client_submit(struct bl_raft *r, const void *cmd, size_t len, unsigned flags,
                          uint64_t tag);

/* Move ReadIndex reads along (dissertation Section 6.4): assign read indexes
 * once an entry of this term is committed, start a heartbeat round for them,
 * and serve those whose round a majority acknowledged and whose index is
 * applied. Called whenever commit, applied or acknowledgements change.
 * Cannot fail. */
void bl_raft_reads_progress(struct bl_raft *r);

/* Forget every pending read (leadership lost or crash): their clients time
 * out and retry. */
void bl_raft_reads_drop(struct bl_raft *r, int notify);

#endif
