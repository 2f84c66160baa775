/* Log compaction: taking snapshots, sending them, installing them. */
#ifndef BL_KERNELS_RAFT_SNAPSHOT_H
#define BL_KERNELS_RAFT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "kernels/raft/internal.h"

/* Take a snapshot when snapshot_entries entries were applied since the last
 * one, and drop the log up to it (keeping snapshot_entries trailing entries
 * so followers that lag a little still get AppendEntries). A failed
 * env->snapshot() is retried after the next applied entry. */
void bl_raft_snapshot_maybe_take(struct bl_raft *r);

/* Send our snapshot to follower i and put it in SNAPSHOT mode; emits
 * BL_EV_SNAPSHOT_SEND. An allocation failure skips the send (retried after
 * an election timeout). */
void bl_raft_snapshot_send(struct bl_raft *r, int i);

#endif
