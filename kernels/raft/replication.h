/* Log replication on the leader: AppendEntries out, progress per follower, commit. */
#ifndef BL_KERNELS_RAFT_REPLICATION_H
#define BL_KERNELS_RAFT_REPLICATION_H

#include "kernels/raft/internal.h"

/* Initialise every follower's progress for a new term (Figure 2: "nextIndex
 * initialized to leader last log index + 1, matchIndex initialized to 0"). */
void bl_raft_progress_reset(struct bl_raft *r);

/*
 * Send follower `i` what it needs now: new entries (up to max_batch per
 * message, up to pipeline messages in flight, waiting up to batch_delay to
 * fill a batch), a heartbeat when heartbeat_ms passed without a message, or
 * an InstallSnapshot when it needs entries we compacted. force: send
 * something now (a heartbeat if nothing else; used for ReadIndex rounds and
 * on election) and do not wait for a batch to fill. An allocation failure
 * skips this send; the next heartbeat retries.
 */
void bl_raft_replicate(struct bl_raft *r, int i, int force);
void bl_raft_replicate_all(struct bl_raft *r, int force);

/* The value a majority has reached: the quorum-th largest of v[0..n-1]. */
uint64_t bl_raft_quorum_value(const struct bl_raft *r, const uint64_t *v);

/* From Figure 2, Rules for Servers, Leaders: "If there exists an N such that
 * N > commitIndex, a majority of matchIndex[i] >= N, and log[N].term ==
 * currentTerm: set commitIndex = N", then apply. Cannot fail. */
void bl_raft_commit_advance(struct bl_raft *r);

/* A follower acknowledged the log up to `match` (AppendEntries success or
 * snapshot installed): update its progress, commit, send more. */
void bl_raft_progress_matched(struct bl_raft *r, int i, uint64_t match);

#endif
